//! The one way an enum of the shim names its values: [`spelled_enum!`].
//!
//! The record, the JSON of every command, the environment and the tables all
//! spell the same values, and old records must keep parsing after a rename.
//! With serde's `rename_all` beside a hand-written `as_str`, each enum had two
//! spellings that only a test kept equal, and a list of every value that only
//! a test kept complete. Here one declaration gives the variant, its spelling
//! and its old spellings, and everything else is derived from it: `ALL`,
//! `as_str`, `from_spelling`, `Display`, comparison with a `&str`, and serde
//! in both directions.

/// Declares an enum of unit variants, each `Variant = "spelling"`, optionally
/// followed by `| "old-spelling"` aliases that parse but are never written.
macro_rules! spelled_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $(
                $(#[$variant_meta:meta])*
                $variant:ident = $spelling:literal $(| $alias:literal)*
            ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        $vis enum $name {
            $(
                $(#[$variant_meta])*
                $variant,
            )+
        }

        impl $name {
            /// Every value, in declaration order.
            // Some enums list their values only in their tests.
            #[allow(dead_code)]
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// Every value's spelling, in declaration order.
            pub const SPELLINGS: &'static [&'static str] = &[$($spelling),+];

            /// The spelling the record, the JSON and the environment use.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $spelling,)+
                }
            }

            /// The value a spelling (or an old spelling) names.
            pub fn from_spelling(spelling: &str) -> Option<$name> {
                match spelling {
                    $($spelling $(| $alias)* => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        /// Lets a value be compared with its spelling (`"forward"`).
        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.as_str() == *other
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<$name, D::Error> {
                struct Spelling;
                impl ::serde::de::Visitor<'_> for Spelling {
                    type Value = $name;
                    fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        write!(f, "one of {}", $name::SPELLINGS.join(", "))
                    }
                    fn visit_str<E: ::serde::de::Error>(self, v: &str) -> Result<$name, E> {
                        $name::from_spelling(v)
                            .ok_or_else(|| E::unknown_variant(v, $name::SPELLINGS))
                    }
                }
                d.deserialize_str(Spelling)
            }
        }
    };
}

pub(crate) use spelled_enum;

#[cfg(test)]
mod tests {
    spelled_enum! {
        enum Colour {
            Red = "red",
            DarkBlue = "dark-blue" | "navy",
        }
    }

    #[test]
    fn one_declaration_gives_every_spelling_and_the_old_ones_still_parse() {
        assert_eq!(Colour::ALL, &[Colour::Red, Colour::DarkBlue]);
        assert_eq!(Colour::DarkBlue.to_string(), "dark-blue");
        assert!(Colour::Red == "red");
        assert_eq!(
            serde_json::to_string(&Colour::DarkBlue).unwrap(),
            "\"dark-blue\""
        );
        for spelling in ["\"dark-blue\"", "\"navy\""] {
            assert_eq!(
                serde_json::from_str::<Colour>(spelling).unwrap(),
                Colour::DarkBlue
            );
        }
        assert_eq!(Colour::from_spelling("navy"), Some(Colour::DarkBlue));
        assert_eq!(Colour::from_spelling("Red"), None);
        let err = serde_json::from_str::<Colour>("\"green\"")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("unknown variant `green`, expected `red` or `dark-blue`"),
            "{err}"
        );
    }

    #[test]
    fn escaped_json_spellings_parse_like_plain_ones() {
        // serde_json hands an escaped string to visit_str as a fresh buffer.
        let escaped = "\"dark\\u002dblue\"";
        assert_eq!(
            serde_json::from_str::<Colour>(escaped).unwrap(),
            Colour::DarkBlue
        );
    }
}
