//! Process paths (`root/layer/child`, `sessions/worker#42`) built without the formatting
//! machinery: a dynamic supervisor builds one per child start, and `format!` was a tenth of
//! a start/terminate cycle in the churn benchmark.

use std::sync::Arc;

/// `parent/id`.
pub(crate) fn child_path(parent: &str, id: &str) -> Arc<str> {
    let mut path = String::with_capacity(parent.len() + 1 + id.len());
    path.push_str(parent);
    path.push('/');
    path.push_str(id);
    path.into()
}

/// `parent/id#key`, naming one of a dynamic supervisor's children.
pub(crate) fn keyed_child_path(parent: &str, id: &str, key: u64) -> Arc<str> {
    let mut path = String::with_capacity(parent.len() + 1 + id.len() + 1 + 20);
    path.push_str(parent);
    path.push('/');
    path.push_str(id);
    path.push('#');
    push_decimal(&mut path, key);
    path.into()
}

fn push_decimal(out: &mut String, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend(digits[start..].iter().map(|&d| d as char));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_match_the_formatted_ones() {
        assert_eq!(&*child_path("app/layer", "cache"), "app/layer/cache");
        for key in [0, 7, 10, 12_345, u64::MAX] {
            assert_eq!(
                &*keyed_child_path("sessions", "worker", key),
                format!("sessions/worker#{key}")
            );
        }
    }
}
