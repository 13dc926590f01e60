//! [`NamePath`]: a path of name segments (`MyApp.Repo`, `std::collections::HashMap`) stored
//! as one shared string.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::name::Name;

/// Separates segments inside the stored string. Source files containing NUL are rejected as
/// binary before parsing, so no segment taken from source can contain it.
const SEPARATOR: char = '\0';

/// Path segments as written (`["MyApp", "Repo"]`, `["crate", "net"]`), unresolved.
///
/// One [`Name`] (8 bytes) holding the segments joined, instead of a vector of names (24 bytes
/// plus 8 per segment): calls and imports repeat the same few paths, which intern to one
/// allocation each. Serialises as a list of strings. A segment must not contain NUL.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct NamePath(Name);

impl NamePath {
    /// The path with no segments; allocates nothing.
    pub const fn empty() -> Self {
        NamePath(Name::empty())
    }

    /// A path of these segments (new allocation; extraction interns them instead).
    pub fn new<S: AsRef<str>>(segments: impl IntoIterator<Item = S>) -> Self {
        NamePath(Name::from(Self::joined(segments)))
    }

    /// The stored form of `segments`, for interning.
    pub(crate) fn joined<S: AsRef<str>>(segments: impl IntoIterator<Item = S>) -> String {
        let mut out = String::new();
        for (i, s) in segments.into_iter().enumerate() {
            if i > 0 {
                out.push(SEPARATOR);
            }
            out.push_str(s.as_ref());
        }
        out
    }

    /// Wraps an already joined (interned) string.
    pub(crate) fn from_joined(joined: Name) -> Self {
        NamePath(joined)
    }

    /// The shared string, for memory accounting.
    pub(crate) fn as_name(&self) -> &Name {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Number of segments.
    pub fn len(&self) -> usize {
        if self.is_empty() {
            0
        } else {
            self.0.matches(SEPARATOR).count() + 1
        }
    }

    /// The segments in order.
    pub fn iter(&self) -> Segments<'_> {
        Segments {
            rest: (!self.is_empty()).then_some(self.0.as_str()),
        }
    }

    pub fn first(&self) -> Option<&str> {
        self.iter().next()
    }

    pub fn last(&self) -> Option<&str> {
        if self.is_empty() {
            return None;
        }
        self.0.rsplit(SEPARATOR).next()
    }

    /// Segment `i`.
    pub fn get(&self, i: usize) -> Option<&str> {
        self.iter().nth(i)
    }

    /// The segments as a vector of string slices.
    pub fn to_vec(&self) -> Vec<&str> {
        self.iter().collect()
    }

    /// The segments joined with `sep` (`"."`, `"::"`).
    pub fn join(&self, sep: &str) -> String {
        self.0.replace(SEPARATOR, sep)
    }
}

/// Iterator over a [`NamePath`]'s segments.
#[derive(Debug, Clone)]
pub struct Segments<'a> {
    rest: Option<&'a str>,
}

impl<'a> Iterator for Segments<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let rest = self.rest?;
        match rest.split_once(SEPARATOR) {
            Some((head, tail)) => {
                self.rest = Some(tail);
                Some(head)
            }
            None => {
                self.rest = None;
                Some(rest)
            }
        }
    }
}

impl<'a> IntoIterator for &'a NamePath {
    type Item = &'a str;
    type IntoIter = Segments<'a>;
    fn into_iter(self) -> Segments<'a> {
        self.iter()
    }
}

impl fmt::Debug for NamePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<S: AsRef<str>> PartialEq<[S]> for NamePath {
    fn eq(&self, other: &[S]) -> bool {
        self.iter().eq(other.iter().map(AsRef::as_ref))
    }
}

impl<S: AsRef<str>, const N: usize> PartialEq<[S; N]> for NamePath {
    fn eq(&self, other: &[S; N]) -> bool {
        self == &other[..]
    }
}

impl<S: AsRef<str>> PartialEq<Vec<S>> for NamePath {
    fn eq(&self, other: &Vec<S>) -> bool {
        self == &other[..]
    }
}

impl Serialize for NamePath {
    fn serialize<Ser: Serializer>(&self, s: Ser) -> Result<Ser::Ok, Ser::Error> {
        s.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for NamePath {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Vec::<String>::deserialize(d).map(NamePath::new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_round_trip() {
        let p = NamePath::new(["MyApp", "Repo"]);
        assert_eq!(p.len(), 2);
        assert_eq!(p.to_vec(), vec!["MyApp", "Repo"]);
        assert_eq!((p.first(), p.last()), (Some("MyApp"), Some("Repo")));
        assert_eq!(p.join("."), "MyApp.Repo");
        assert_eq!(p, ["MyApp", "Repo"]);
        let one = NamePath::new(["::"]);
        assert_eq!(
            (one.len(), one.first(), one.last()),
            (1, Some("::"), Some("::"))
        );
        let empty = NamePath::empty();
        assert!(empty.is_empty());
        assert_eq!((empty.len(), empty.first(), empty.last()), (0, None, None));
        assert_eq!(empty.iter().count(), 0);
        assert_eq!(NamePath::new(Vec::<&str>::new()), empty);
    }

    #[test]
    fn serialises_as_a_list() {
        let p = NamePath::new(["crate", "net"]);
        let json = serde_json::to_string(&p).unwrap();
        assert_eq!(json, r#"["crate","net"]"#);
        assert_eq!(serde_json::from_str::<NamePath>(&json).unwrap(), p);
        assert_eq!(serde_json::to_string(&NamePath::empty()).unwrap(), "[]");
    }
}
