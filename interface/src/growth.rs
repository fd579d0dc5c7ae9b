//! How data types grow without a layout break: open enums and extension fields.
//!
//! - **Open enums.** A kind that will gain values (row kinds, evidence, change kinds, ...) is a
//!   `#[repr(transparent)]` newtype over `u8` with one associated constant per value, made by
//!   [`open_enum!`](crate::open_enum). A newer plugin may send a value this host does not know: it
//!   arrives intact, `name()` is `None`, and each type's doc says what a receiver does with it. A
//!   `match` on such a type always has a `_` arm, so adding a value never breaks a build.
//! - **Extension fields.** Every request and response ends with `ext: Extensions`, a JSON object of
//!   optional fields added in a later 0.2.x release. A field added that way gets a typed accessor
//!   on its struct in that release; a side that does not know it never sees it, a side that
//!   expects it gets `None` from an older peer. The next minor version may promote it to a field.

use abi_stable::{std_types::RString, StableAbi};
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use std::fmt;

/// Optional fields added after the type was fixed, as one JSON object (empty string = none).
#[repr(transparent)]
#[derive(StableAbi, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Extensions(RString);

impl Extensions {
    /// No extension fields.
    pub fn new() -> Self {
        Extensions(RString::new())
    }

    /// True when no extension field is set.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty() || self.0.as_str() == "{}"
    }

    /// The extension field `key`, when it is set and has the expected shape; `None` otherwise (a
    /// peer that predates the field, or a value that does not parse: extensions are optional).
    pub fn get<T: DeserializeOwned>(&self, key: &str) -> Option<T> {
        if self.0.is_empty() {
            return None;
        }
        let mut object: serde_json::Map<String, serde_json::Value> = serde_json::from_str(self.0.as_str()).ok()?;
        serde_json::from_value(object.remove(key)?).ok()
    }

    /// Sets the extension field `key` (replacing an earlier value). A value that cannot be
    /// represented as JSON leaves the field unset.
    pub fn set<T: Serialize>(&mut self, key: &str, value: &T) {
        let mut object: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(self.0.as_str()).unwrap_or_default();
        if let Ok(value) = serde_json::to_value(value) {
            object.insert(key.to_string(), value);
        }
        self.0 = serde_json::Value::Object(object).to_string().into();
    }

    /// The names of the fields set, for diagnostics.
    pub fn keys(&self) -> Vec<String> {
        serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(self.0.as_str())
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default()
    }
}

impl fmt::Debug for Extensions {
    /// Only the keys: a later field may carry personal data.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Extensions({:?})", self.keys())
    }
}

/// Defines an open enum: a `#[repr(transparent)]` `u8` newtype with one constant per value (named
/// like enum variants, so `Kind::Value` reads and matches as before), `name()` / `from_name()`,
/// a `Debug` that prints the name, and serde as the snake_case name (an unknown value as its
/// number, so it survives a round trip).
#[macro_export]
macro_rules! open_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $value:literal => $text:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[repr(transparent)]
        #[derive(abi_stable::StableAbi, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(u8);

        #[allow(non_upper_case_globals)]
        impl $name {
            $( $(#[$vmeta])* pub const $variant: $name = $name($value); )+
            /// Every value this version of the interface knows, in declaration order.
            pub const KNOWN: &'static [$name] = &[$($name::$variant),+];

            /// The value's snake_case name; `None` for a value from a newer interface.
            pub fn name(self) -> Option<&'static str> {
                match self.0 {
                    $( $value => Some($text), )+
                    _ => None,
                }
            }

            /// The value with this snake_case name, if this version knows it.
            pub fn from_name(name: &str) -> Option<Self> {
                match name {
                    $( $text => Some($name::$variant), )+
                    _ => None,
                }
            }

            /// True for a value this version of the interface knows.
            pub fn is_known(self) -> bool {
                self.name().is_some()
            }

            /// The raw value on the wire.
            pub fn raw(self) -> u8 {
                self.0
            }

            /// A value from its raw number (a newer peer's value stays as it is).
            pub fn from_raw(raw: u8) -> Self {
                $name(raw)
            }
        }

        impl ::std::fmt::Debug for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                match self.name() {
                    Some(name) => f.write_str(name),
                    None => write!(f, "{}({})", stringify!($name), self.0),
                }
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                match self.name() {
                    Some(name) => serializer.serialize_str(name),
                    None => serializer.serialize_u8(self.0),
                }
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct Visit;
                impl<'de> ::serde::de::Visitor<'de> for Visit {
                    type Value = $name;
                    fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        write!(f, "one of {:?} or a number", $name::KNOWN)
                    }
                    fn visit_str<E: ::serde::de::Error>(self, v: &str) -> Result<$name, E> {
                        $name::from_name(v).ok_or_else(|| E::unknown_variant(v, &[$($text),+]))
                    }
                    fn visit_u64<E: ::serde::de::Error>(self, v: u64) -> Result<$name, E> {
                        u8::try_from(v).map($name).map_err(|_| E::custom("value out of range"))
                    }
                    fn visit_i64<E: ::serde::de::Error>(self, v: i64) -> Result<$name, E> {
                        u8::try_from(v).map($name).map_err(|_| E::custom("value out of range"))
                    }
                }
                deserializer.deserialize_any(Visit)
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    open_enum! {
        /// A test kind.
        pub enum Kind {
            /// One.
            One = 0 => "one",
            /// Two.
            Two = 1 => "two",
        }
    }

    #[test]
    fn an_open_enum_matches_prints_and_round_trips_known_and_unknown_values() {
        let describe = |k: Kind| match k {
            Kind::One => "one",
            Kind::Two => "two",
            _ => "newer",
        };
        assert_eq!(describe(Kind::Two), "two");
        assert_eq!(describe(Kind::from_raw(9)), "newer");
        assert!(Kind::One.is_known() && !Kind::from_raw(9).is_known());
        assert_eq!(Kind::from_raw(9).raw(), 9);
        assert_eq!(format!("{:?}", Kind::One), "one");
        assert_eq!(format!("{:?}", Kind::from_raw(9)), "Kind(9)");
        assert_eq!(serde_json::to_string(&Kind::Two).unwrap(), "\"two\"");
        assert_eq!(serde_json::from_str::<Kind>("\"one\"").unwrap(), Kind::One);
        let unknown = serde_json::to_string(&Kind::from_raw(9)).unwrap();
        assert_eq!(serde_json::from_str::<Kind>(&unknown).unwrap(), Kind::from_raw(9));
        assert!(serde_json::from_str::<Kind>("\"three\"").is_err());
    }

    #[test]
    fn extensions_keep_typed_optional_fields_and_ignore_bad_ones() {
        let mut ext = Extensions::new();
        assert!(ext.is_empty());
        assert_eq!(ext.get::<u32>("later"), None);
        ext.set("later", &7u32);
        ext.set("name", &"x");
        assert_eq!(ext.get::<u32>("later"), Some(7));
        assert_eq!(ext.get::<u32>("name"), None, "wrong shape is absent, not an error");
        assert_eq!(format!("{ext:?}"), "Extensions([\"later\", \"name\"])");
        let garbage = Extensions(RString::from("not json"));
        assert_eq!(garbage.get::<u32>("later"), None);
    }
}
