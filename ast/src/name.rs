//! [`Name`]: the model's immutable, cheaply shared string.
//!
//! Models repeat the same few strings thousands of times (function and module names, call
//! targets, `record`, `_`). Each file's strings are interned while extracting, so equal
//! strings share one allocation. A `Name` is one thin pointer (8 bytes; `Option<Name>` too),
//! half an `Arc<str>`: the length lives in the shared allocation, next to the count.

use std::borrow::Borrow;
use std::collections::HashSet;
use std::fmt;
use std::ops::Deref;

use arcstr::ArcStr;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An immutable shared string; compares, hashes, serialises and derefs as `str`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Name(ArcStr);

impl Name {
    /// A new, unshared name.
    pub fn new(s: &str) -> Self {
        Name(ArcStr::from(s))
    }

    /// The empty name; allocates nothing.
    pub const fn empty() -> Self {
        Name(ArcStr::new())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Identity of the shared allocation (for memory accounting); None when the name owns no
    /// allocation (the empty name, literals).
    pub(crate) fn allocation(&self) -> Option<usize> {
        if ArcStr::is_static(&self.0) {
            return None;
        }
        Some(self.0.as_ptr() as usize)
    }
}

impl Default for Name {
    fn default() -> Self {
        Name::empty()
    }
}

impl Deref for Name {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Name {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for Name {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for Name {
    fn from(s: &str) -> Self {
        Name::new(s)
    }
}

impl From<String> for Name {
    fn from(s: String) -> Self {
        Name(ArcStr::from(s))
    }
}

impl PartialEq<str> for Name {
    fn eq(&self, other: &str) -> bool {
        &*self.0 == other
    }
}

impl PartialEq<&str> for Name {
    fn eq(&self, other: &&str) -> bool {
        &*self.0 == *other
    }
}

impl PartialEq<String> for Name {
    fn eq(&self, other: &String) -> bool {
        *self.0 == **other
    }
}

impl PartialEq<Name> for &str {
    fn eq(&self, other: &Name) -> bool {
        *self == &*other.0
    }
}

impl PartialEq<Name> for String {
    fn eq(&self, other: &Name) -> bool {
        **self == *other.0
    }
}

impl Serialize for Name {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Name {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Name::from)
    }
}

/// Hands out one shared [`Name`] per distinct string.
#[derive(Debug, Default)]
pub(crate) struct Interner {
    names: HashSet<Name>,
}

impl Interner {
    pub fn intern(&mut self, s: &str) -> Name {
        if let Some(n) = self.names.get(s) {
            return n.clone();
        }
        let n = Name::new(s);
        self.names.insert(n.clone());
        n
    }
}
