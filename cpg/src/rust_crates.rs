//! Which Rust crate a file belongs to, as Cargo lays targets out. Every crate calls its root
//! `crate`, so module paths alone collide across a workspace's packages, and across one
//! package's integration tests, benches and examples (each file there is a crate of its
//! own). Name tables key Rust modules by crate and path instead.

use elixir_scope_ast::FileModel;

/// The crates a file's `crate::` paths can name: its own, and for a test, bench or example
/// crate also the modules shared from its directory (`tests/common/mod.rs`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct RustCrates {
    own: String,
    shared: Option<String>,
}

const TARGET_DIRS: [&str; 3] = ["tests", "benches", "examples"];

impl RustCrates {
    /// The crates of `file` (a path relative to the project root, in its package).
    pub fn of(file: &FileModel) -> RustCrates {
        Self::of_path(&file.path, file.package_dir.as_deref().unwrap_or(""))
    }

    fn of_path(path: &str, package_dir: &str) -> RustCrates {
        let parts: Vec<&str> = path.split(['/', '\\']).filter(|p| !p.is_empty()).collect();
        let package: Vec<&str> = package_dir
            .split(['/', '\\'])
            .filter(|p| !p.is_empty())
            .collect();
        let rest = parts.strip_prefix(package.as_slice()).unwrap_or(&parts);
        let at = |tail: &[&str]| {
            package
                .iter()
                .chain(tail)
                .copied()
                .collect::<Vec<_>>()
                .join("/")
        };
        let stem = |file: &str| file.strip_suffix(".rs").unwrap_or(file).to_owned();
        match rest {
            ["src", "bin", target, ..] => RustCrates {
                own: at(&["src", "bin", &stem(target)]),
                shared: None,
            },
            ["src", ..] => RustCrates {
                own: at(&[]),
                shared: None,
            },
            [dir, file] if TARGET_DIRS.contains(dir) => RustCrates {
                own: at(&[dir, &stem(file)]),
                shared: Some(at(&[dir])),
            },
            [dir, target, "main.rs"] if TARGET_DIRS.contains(dir) => RustCrates {
                own: at(&[dir, target]),
                shared: Some(at(&[dir])),
            },
            [dir, ..] if TARGET_DIRS.contains(dir) => RustCrates {
                own: at(&[dir]),
                shared: None,
            },
            _ => RustCrates {
                own: path.to_owned(),
                shared: None,
            },
        }
    }

    /// The table key of `module` (a `crate::...` path) in this file's own crate.
    pub fn qualify_own(&self, module: &str) -> String {
        qualified(&self.own, module)
    }

    /// The table keys `module` may have from this file: own crate first, then shared.
    pub fn qualify<'s>(&'s self, module: &'s str) -> impl Iterator<Item = String> + 's {
        std::iter::once(self.own.as_str())
            .chain(self.shared.as_deref())
            .map(move |krate| qualified(krate, module))
    }
}

fn qualified(krate: &str, module: &str) -> String {
    format!("{krate}#{module}")
}

#[cfg(test)]
mod tests {
    use super::RustCrates;

    fn crates(path: &str, package: &str) -> (String, Option<String>) {
        let c = RustCrates::of_path(path, package);
        (c.own, c.shared)
    }

    #[test]
    fn cargo_targets_are_separate_crates() {
        let lib = ("ast".to_owned(), None);
        assert_eq!(crates("ast/src/lib.rs", "ast"), lib);
        assert_eq!(crates("ast/src/elixir/mod.rs", "ast"), lib);
        assert_eq!(crates("ast/src/main.rs", "ast"), lib);
        assert_eq!(crates("src/lib.rs", ""), (String::new(), None));
        assert_eq!(
            crates("app/src/bin/tool.rs", "app"),
            ("app/src/bin/tool".to_owned(), None)
        );
        let shared = Some("cpg/tests".to_owned());
        assert_eq!(
            crates("cpg/tests/services.rs", "cpg"),
            ("cpg/tests/services".to_owned(), shared.clone())
        );
        assert_eq!(
            crates("cpg/tests/big/main.rs", "cpg"),
            ("cpg/tests/big".to_owned(), shared)
        );
        assert_eq!(
            crates("cpg/tests/common/mod.rs", "cpg"),
            ("cpg/tests".to_owned(), None)
        );
        assert_eq!(
            crates("benches/peers.rs", ""),
            ("benches/peers".to_owned(), Some("benches".to_owned()))
        );
        assert_eq!(crates("build.rs", ""), ("build.rs".to_owned(), None));
    }

    #[test]
    fn lookups_try_the_own_crate_then_the_shared_one() {
        let c = RustCrates::of_path("cpg/tests/services.rs", "cpg");
        let keys: Vec<String> = c.qualify("crate::common").collect();
        assert_eq!(
            keys,
            [
                "cpg/tests/services#crate::common",
                "cpg/tests#crate::common"
            ]
        );
        assert_eq!(c.qualify_own("crate"), "cpg/tests/services#crate");
    }
}
