//! Closed vocabularies: enums stored and published by name (`HOTLINE`), never by number,
//! so the database reads on its own, and their crossing to and from the contracts' enums
//! (`CHANNEL_HOTLINE`), which carry the same names behind a prefix.

/// Declares a closed vocabulary: an enum whose values have stored names, with `ALL`,
/// `as_str`, `parse` and `Display`.
///
/// ```ignore
/// service_kit::vocabulary! {
///     /// Where a work order came from.
///     Channel {
///         /// The hotline.
///         Hotline = "HOTLINE",
///     }
/// }
/// ```
#[macro_export]
macro_rules! vocabulary {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $($(#[$vdoc])* $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stored name.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            /// The value with this stored name.
            pub fn parse(s: &str) -> Option<Self> {
                match s {
                    $($text => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

/// Declares `$in(raw: i32) -> Option<$dom>` and `$out($dom) -> i32`, crossing a
/// [`vocabulary!`] enum to and from the contract's enum `$pb`, whose names are the stored
/// names behind `$prefix`. Unspecified and unknown wire values come in as `None`.
#[macro_export]
macro_rules! wire_enum {
    ($in:ident, $out:ident, $pb:ty, $dom:ty, $prefix:literal) => {
        /// The domain value of a wire enum; `None` for unspecified or unknown values.
        // Not every enum crosses in both directions; the round-trip test uses both.
        #[allow(dead_code)]
        pub fn $in(raw: i32) -> Option<$dom> {
            let name = <$pb>::try_from(raw).ok()?.as_str_name();
            <$dom>::parse(name.strip_prefix($prefix)?)
        }

        /// The wire value of a domain enum.
        #[allow(dead_code)]
        pub fn $out(value: $dom) -> i32 {
            <$pb>::from_str_name(&format!("{}{}", $prefix, value.as_str()))
                .map(|e| e as i32)
                .unwrap_or(0)
        }
    };
}
