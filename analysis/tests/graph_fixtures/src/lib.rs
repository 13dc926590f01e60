pub fn api() -> u32 {
    helper() + Counter::new().get()
}

fn helper() -> u32 {
    1
}

fn orphan() -> u32 {
    2
}

struct Counter(u32);

impl Counter {
    fn new() -> Self {
        Counter(0)
    }

    fn get(&self) -> u32 {
        self.0
    }

    fn stale(&self) -> u32 {
        self.0 + 1
    }
}

impl std::fmt::Display for Counter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[test]
fn checks() {
    assert_eq!(api(), 1);
}
