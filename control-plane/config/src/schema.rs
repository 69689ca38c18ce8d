//! Harvests the key names a serde-derived type accepts, without any input.
//!
//! serde's derive passes the static list of field names to `deserialize_struct` (and of
//! variant names to `deserialize_enum`); a deserializer that only records that list and then
//! fails gives us the schema straight from the types the loader uses.

use serde::de::{self, Deserialize, Visitor};
use std::cell::Cell;
use std::fmt;

#[derive(Debug)]
struct Stop;

impl fmt::Display for Stop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("schema harvest")
    }
}

impl std::error::Error for Stop {}

impl de::Error for Stop {
    fn custom<T: fmt::Display>(_: T) -> Self {
        Stop
    }
}

struct Harvester<'a>(&'a Cell<&'static [&'static str]>);

impl<'de> de::Deserializer<'de> for Harvester<'_> {
    type Error = Stop;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Stop> {
        Err(Stop)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Stop> {
        self.0.set(fields);
        Err(Stop)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        variants: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Stop> {
        self.0.set(variants);
        Err(Stop)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map identifier ignored_any
    }
}

/// The field names of a derived struct, or the variant names of a derived enum; empty for
/// anything else.
pub(crate) fn keys_of<'de, T: Deserialize<'de>>() -> &'static [&'static str] {
    let cell = Cell::new(&[][..]);
    // The harvester always fails once it has recorded the names; the error carries nothing.
    let _ = T::deserialize(Harvester(&cell));
    cell.get()
}
