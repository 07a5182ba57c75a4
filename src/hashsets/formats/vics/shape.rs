//! The streaming machinery under the VICS parser: a byte budget metered
//! under the JSON reader, and visitors that take any JSON shape without
//! failing and without buffering what they skip.
//!
//! `serde_json` buffers every string it hands over and `Value` holds a whole
//! subtree, so a record is read field by field here: the fields Ferret keeps
//! are read (and counted against [`MAX_RECORD_BYTES`]); everything else goes
//! through `IgnoredAny`, which `serde_json` skips byte by byte, uncounted.

use std::cell::Cell;
use std::fmt;
use std::io::{self, Read};
use std::marker::PhantomData;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// Most bytes of what Ferret keeps from one media record: its keys and the
/// values it reads. A real record keeps well under 4 KiB.
pub const MAX_RECORD_BYTES: u64 = 1 << 20;

/// Bytes read for the current record, shared by the metered reader and the
/// visitors (one thread, one parse).
#[derive(Debug)]
pub struct Budget {
    used: Cell<u64>,
    counting: Cell<bool>,
    exceeded: Cell<bool>,
}

impl Default for Budget {
    fn default() -> Self {
        Budget {
            used: Cell::new(0),
            counting: Cell::new(true),
            exceeded: Cell::new(false),
        }
    }
}

impl Budget {
    /// A new record starts: nothing used.
    pub fn start(&self) {
        self.used.set(0);
    }

    /// Bytes used so far, to [`rewind`](Self::rewind) to.
    pub fn mark(&self) -> u64 {
        self.used.get()
    }

    /// Forgets what was counted since `mark` (it was not kept).
    pub fn rewind(&self, mark: u64) {
        self.used.set(mark.min(self.used.get()));
    }

    /// True once a record went past the budget (the read then failed).
    pub fn exceeded(&self) -> bool {
        self.exceeded.get()
    }

    /// Runs `f` with counting off: what it reads is skipped, not kept.
    pub fn unmetered<T>(&self, f: impl FnOnce() -> T) -> T {
        let was = self.counting.replace(false);
        let out = f();
        self.counting.set(was);
        out
    }

    fn add(&self, n: usize) -> io::Result<()> {
        if !self.counting.get() {
            return Ok(());
        }
        let used = self.used.get().saturating_add(n as u64);
        self.used.set(used);
        if used > MAX_RECORD_BYTES {
            self.exceeded.set(true);
            return Err(io::Error::other("media record over its size budget"));
        }
        Ok(())
    }
}

/// A reader that counts what it hands out against a [`Budget`].
pub struct Metered<'b, R> {
    /// The stream.
    pub inner: R,
    /// The budget.
    pub budget: &'b Budget,
}

impl<R: Read> Read for Metered<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.budget.add(n)?;
        Ok(n)
    }
}

/// A JSON scalar, as far as a VICS field needs it.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Scalar {
    /// A string.
    Str(String),
    /// A number: its JSON text and its value when an `i64`.
    Num(String, Option<i64>),
    /// A boolean.
    Bool(bool),
    /// Null, or an array or object (skipped).
    #[default]
    Absent,
}

impl Scalar {
    /// Text form: a trimmed non-empty string, a number, a boolean.
    pub fn text(&self) -> Option<String> {
        match self {
            Scalar::Str(s) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
            Scalar::Num(t, _) => Some(t.clone()),
            Scalar::Bool(b) => Some(b.to_string()),
            Scalar::Absent => None,
        }
    }

    /// Unsigned form (sizes): an integral number, or a string holding one.
    pub fn uint(&self) -> Option<u64> {
        match self {
            Scalar::Num(t, _) => t.parse().ok(),
            Scalar::Str(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    /// Integer form: an integral number, or a string holding one.
    pub fn int(&self) -> Option<i64> {
        match self {
            Scalar::Num(_, i) => *i,
            Scalar::Str(s) => s.trim().parse().ok(),
            _ => None,
        }
    }
}

/// What a visitor makes of each JSON shape; whatever it does not take is
/// skipped (unmetered) and becomes [`Shape::other`].
pub trait Shape<'de>: Sized {
    /// The result.
    type Out;
    /// The budget skipped values are kept out of.
    fn budget(&self) -> &Budget;
    /// The result for a shape this visitor does not take.
    fn other(self) -> Self::Out;
    /// An object.
    fn map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Out, A::Error> {
        drain_map(self.budget(), &mut map)?;
        Ok(self.other())
    }
    /// An array.
    fn seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Out, A::Error> {
        drain_seq(self.budget(), &mut seq)?;
        Ok(self.other())
    }
    /// A string, number, boolean or null.
    fn scalar(self, _value: Scalar) -> Self::Out {
        self.other()
    }
}

/// Skips the rest of an object, uncounted.
pub fn drain_map<'de, A: MapAccess<'de>>(budget: &Budget, map: &mut A) -> Result<(), A::Error> {
    budget.unmetered(|| {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(())
    })
}

/// Skips the rest of an array, uncounted.
pub fn drain_seq<'de, A: SeqAccess<'de>>(budget: &Budget, seq: &mut A) -> Result<(), A::Error> {
    budget.unmetered(|| {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(())
    })
}

/// Skips one object value, uncounted.
pub fn skip_value<'de, A: MapAccess<'de>>(budget: &Budget, map: &mut A) -> Result<(), A::Error> {
    budget.unmetered(|| map.next_value::<IgnoredAny>().map(|_| ()))
}

/// Deserializes any JSON value through a [`Shape`].
pub struct Any<'de, S>(pub S, pub PhantomData<&'de ()>);

/// Wraps a shape as a seed.
pub fn any<'de, S: Shape<'de>>(shape: S) -> Any<'de, S> {
    Any(shape, PhantomData)
}

impl<'de, S: Shape<'de>> DeserializeSeed<'de> for Any<'de, S> {
    type Value = S::Out;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<S::Out, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, S: Shape<'de>> Visitor<'de> for Any<'de, S> {
    type Value = S::Out;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<S::Out, A::Error> {
        self.0.map(map)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<S::Out, A::Error> {
        self.0.seq(seq)
    }
    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<S::Out, E> {
        Ok(self.0.scalar(Scalar::Str(v.to_string())))
    }
    fn visit_string<E: serde::de::Error>(self, v: String) -> Result<S::Out, E> {
        Ok(self.0.scalar(Scalar::Str(v)))
    }
    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<S::Out, E> {
        Ok(self.0.scalar(Scalar::Num(v.to_string(), Some(v))))
    }
    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<S::Out, E> {
        Ok(self
            .0
            .scalar(Scalar::Num(v.to_string(), i64::try_from(v).ok())))
    }
    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<S::Out, E> {
        let text = serde_json::Number::from_f64(v).map_or_else(|| v.to_string(), |n| n.to_string());
        Ok(self.0.scalar(Scalar::Num(text, None)))
    }
    fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<S::Out, E> {
        Ok(self.0.scalar(Scalar::Bool(v)))
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<S::Out, E> {
        Ok(self.0.scalar(Scalar::Absent))
    }
}

/// A scalar value; arrays and objects are skipped and read as absent.
pub struct ScalarShape<'b>(pub &'b Budget);

impl<'de> Shape<'de> for ScalarShape<'_> {
    type Out = Scalar;
    fn budget(&self) -> &Budget {
        self.0
    }
    fn other(self) -> Scalar {
        Scalar::Absent
    }
    fn scalar(self, value: Scalar) -> Scalar {
        value
    }
}
