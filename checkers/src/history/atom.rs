//! [`Atom`]: a shared, immutable string. A history names the same few functions, nodes, errors
//! and keywords over and over; readers intern them ([`Atoms`]), so each distinct text is held
//! once however many ops carry it, and a clone is a reference count.

use std::borrow::Borrow;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;
use std::sync::Arc;

use rustc_hash::FxHashSet;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An immutable string shared by every op that carries the same text (8 bytes inline: one
/// pointer to the shared text, so an op's `f`, `node` and `error` cost 8 bytes each).
#[derive(Clone)]
pub struct Atom(Arc<Box<str>>);

impl Atom {
    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Deref for Atom {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Atom {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for Atom {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl PartialEq for Atom {
    fn eq(&self, other: &Atom) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || self.0 == other.0
    }
}

impl Eq for Atom {}

impl PartialEq<str> for Atom {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Atom {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for Atom {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Hash for Atom {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl PartialOrd for Atom {
    fn partial_cmp(&self, other: &Atom) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Atom {
    fn cmp(&self, other: &Atom) -> std::cmp::Ordering {
        self.0.cmp(&other.0)
    }
}

impl fmt::Display for Atom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Atom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl From<&str> for Atom {
    fn from(s: &str) -> Atom {
        Atom(Arc::new(s.into()))
    }
}

impl From<String> for Atom {
    fn from(s: String) -> Atom {
        Atom(Arc::new(s.into()))
    }
}

impl From<&String> for Atom {
    fn from(s: &String) -> Atom {
        Atom(Arc::new(s.as_str().into()))
    }
}

impl Serialize for Atom {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Atom {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Atom, D::Error> {
        std::borrow::Cow::<'de, str>::deserialize(deserializer).map(|s| Atom::from(&*s))
    }
}

/// The atoms of one load: each distinct text is allocated once.
#[derive(Debug, Default)]
pub struct Atoms {
    seen: FxHashSet<Atom>,
}

impl Atoms {
    /// The atom for `text`, shared with every earlier request for the same text.
    pub fn get(&mut self, text: &str) -> Atom {
        if let Some(atom) = self.seen.get(text) {
            return atom.clone();
        }
        let atom = Atom::from(text);
        self.seen.insert(atom.clone());
        atom
    }
}
