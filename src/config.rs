//! Augmentation configuration: the five parameter ranges and the hash-chain depth.
//!
//! The JSON form is the reference's:
//! `{"rotation_range": [lo, hi], "brightness_range": [lo, hi], "noise_range": [lo, hi],
//! "scale_range": [lo, hi], "contrast_range": [lo, hi], "augmentation_depth": n}`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::ConfigError;

/// The largest `augmentation_depth` dpa accepts.
///
/// The reference has no limit, but every chain step hashes `fib(i)` in decimal, so the
/// work per sample and the precomputed Fibonacci table grow with the square of the
/// depth. 10,000 steps (fib(9999) has 2,090 digits) is far beyond any practical use.
pub const MAX_DEPTH: u32 = 10_000;

/// A closed-open parameter range `[lo, hi)` as drawn by Python's `random.uniform(lo, hi)`.
///
/// Serialized as the two-element array `[lo, hi]`.
///
/// # Examples
///
/// ```
/// use dpa::ParamRange;
/// let r = ParamRange::new(-30.0, 30.0);
/// assert_eq!(serde_json::to_string(&r).unwrap(), "[-30.0,30.0]");
/// assert_eq!(r.map(0.5), 0.0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(from = "(f64, f64)", into = "(f64, f64)")]
pub struct ParamRange {
    /// Lower bound.
    pub lo: f64,
    /// Upper bound.
    pub hi: f64,
}

impl ParamRange {
    /// A range from its two bounds (not validated; see [`AugmentationConfig::validate`]).
    ///
    /// # Examples
    ///
    /// ```
    /// let r = dpa::ParamRange::new(0.9, 1.1);
    /// assert_eq!((r.lo, r.hi), (0.9, 1.1));
    /// ```
    pub const fn new(lo: f64, hi: f64) -> Self {
        ParamRange { lo, hi }
    }

    /// Maps a uniform draw `r` in `[0, 1)` onto the range exactly as Python's
    /// `random.uniform` does: `lo + (hi - lo) * r`, with no fused multiply-add.
    ///
    /// # Examples
    ///
    /// ```
    /// let r = dpa::ParamRange::new(0.8, 1.2);
    /// assert_eq!(r.map(0.0), 0.8);
    /// ```
    #[inline(always)]
    pub fn map(&self, r: f64) -> f64 {
        // Two separately rounded operations, as CPython computes them.
        let width = self.hi - self.lo;
        let scaled = width * r;
        self.lo + scaled
    }
}

impl From<(f64, f64)> for ParamRange {
    fn from((lo, hi): (f64, f64)) -> Self {
        ParamRange { lo, hi }
    }
}

impl From<ParamRange> for (f64, f64) {
    fn from(r: ParamRange) -> Self {
        (r.lo, r.hi)
    }
}

/// The five parameters every sample gets, in the order they are drawn.
///
/// # Examples
///
/// ```
/// use dpa::Param;
/// assert_eq!(Param::ALL.len(), 5);
/// assert_eq!(Param::Noise.name(), "noise");
/// assert_eq!(Param::Noise.range_field(), "noise_range");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Param {
    /// Rotation in degrees.
    Rotation,
    /// Brightness factor.
    Brightness,
    /// Noise level.
    Noise,
    /// Scale factor.
    Scale,
    /// Contrast factor.
    Contrast,
}

impl Param {
    /// All five parameters in draw order.
    pub const ALL: [Param; 5] = [
        Param::Rotation,
        Param::Brightness,
        Param::Noise,
        Param::Scale,
        Param::Contrast,
    ];

    /// The parameter's name as it appears in records (`"rotation"`, ...).
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(dpa::Param::Rotation.name(), "rotation");
    /// ```
    pub const fn name(self) -> &'static str {
        match self {
            Param::Rotation => "rotation",
            Param::Brightness => "brightness",
            Param::Noise => "noise",
            Param::Scale => "scale",
            Param::Contrast => "contrast",
        }
    }

    /// The name of the config field holding this parameter's range (`"rotation_range"`, ...).
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(dpa::Param::Scale.range_field(), "scale_range");
    /// ```
    pub const fn range_field(self) -> &'static str {
        match self {
            Param::Rotation => "rotation_range",
            Param::Brightness => "brightness_range",
            Param::Noise => "noise_range",
            Param::Scale => "scale_range",
            Param::Contrast => "contrast_range",
        }
    }
}

/// The augmentation configuration of DPA 0.2.1.
///
/// Defaults to the `moderate` preset, like the reference's dataclass. Fields missing
/// from a JSON config take their default; unknown fields are rejected.
///
/// # Examples
///
/// ```
/// use dpa::AugmentationConfig;
/// let cfg: AugmentationConfig = serde_json::from_str(
///     r#"{"rotation_range": [-15, 15], "augmentation_depth": 4}"#,
/// ).unwrap();
/// cfg.validate().unwrap();
/// assert_eq!(cfg.rotation_range.hi, 15.0);
/// assert_eq!(cfg.brightness_range, AugmentationConfig::default().brightness_range);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AugmentationConfig {
    /// Rotation range in degrees.
    pub rotation_range: ParamRange,
    /// Brightness factor range.
    pub brightness_range: ParamRange,
    /// Noise level range.
    pub noise_range: ParamRange,
    /// Scale factor range.
    pub scale_range: ParamRange,
    /// Contrast factor range.
    pub contrast_range: ParamRange,
    /// Number of hash-chain steps after the initial hash (at least 1).
    pub augmentation_depth: u32,
}

impl<'de> Deserialize<'de> for AugmentationConfig {
    /// Reads the reference's JSON object. Only an object is accepted; missing fields
    /// take the default (moderate) values; errors name the field.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct ConfigVisitor;

        impl<'de> serde::de::Visitor<'de> for ConfigVisitor {
            type Value = AugmentationConfig;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a config object with rotation_range, brightness_range, noise_range, scale_range, contrast_range and augmentation_depth")
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<AugmentationConfig, A::Error> {
                use serde::de::Error;
                let mut cfg = AugmentationConfig::default();
                let mut seen = Vec::new();
                while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                    if seen.contains(&key) {
                        return Err(A::Error::custom(format_args!("{key}: given twice")));
                    }
                    let named = |e: A::Error| A::Error::custom(format_args!("{key}: {e}"));
                    if key == "augmentation_depth" {
                        cfg.augmentation_depth = map.next_value().map_err(named)?;
                    } else if let Some(p) = Param::ALL.into_iter().find(|p| p.range_field() == key)
                    {
                        *cfg.range_mut(p) = map.next_value().map_err(named)?;
                    } else {
                        return Err(A::Error::custom(format_args!(
                            "unknown config field `{key}` (expected rotation_range, brightness_range, noise_range, scale_range, contrast_range or augmentation_depth)"
                        )));
                    }
                    seen.push(key);
                }
                Ok(cfg)
            }
        }

        d.deserialize_map(ConfigVisitor)
    }
}

impl Default for AugmentationConfig {
    fn default() -> Self {
        Preset::Moderate.config()
    }
}

impl AugmentationConfig {
    /// The range of one parameter.
    ///
    /// # Examples
    ///
    /// ```
    /// use dpa::{AugmentationConfig, Param};
    /// let cfg = AugmentationConfig::default();
    /// assert_eq!(cfg.range(Param::Rotation).lo, -30.0);
    /// ```
    pub fn range(&self, p: Param) -> ParamRange {
        match p {
            Param::Rotation => self.rotation_range,
            Param::Brightness => self.brightness_range,
            Param::Noise => self.noise_range,
            Param::Scale => self.scale_range,
            Param::Contrast => self.contrast_range,
        }
    }

    /// A mutable reference to the range of one parameter.
    ///
    /// # Examples
    ///
    /// ```
    /// use dpa::{AugmentationConfig, Param, ParamRange};
    /// let mut cfg = AugmentationConfig::default();
    /// *cfg.range_mut(Param::Noise) = ParamRange::new(0.0, 0.2);
    /// assert_eq!(cfg.noise_range.hi, 0.2);
    /// ```
    pub fn range_mut(&mut self, p: Param) -> &mut ParamRange {
        match p {
            Param::Rotation => &mut self.rotation_range,
            Param::Brightness => &mut self.brightness_range,
            Param::Noise => &mut self.noise_range,
            Param::Scale => &mut self.scale_range,
            Param::Contrast => &mut self.contrast_range,
        }
    }

    /// The five ranges in draw order.
    ///
    /// # Examples
    ///
    /// ```
    /// let ranges = dpa::AugmentationConfig::default().ranges();
    /// assert_eq!(ranges[4].hi, 1.3);
    /// ```
    pub fn ranges(&self) -> [ParamRange; 5] {
        Param::ALL.map(|p| self.range(p))
    }

    /// Checks the config: every bound finite, `lo < hi`, `1 <= depth <= MAX_DEPTH`.
    ///
    /// The reference checks `lo < hi` and `depth >= 1`; dpa also rejects NaN and
    /// infinite bounds, which would produce NaN parameters.
    ///
    /// # Examples
    ///
    /// ```
    /// use dpa::{AugmentationConfig, ParamRange};
    /// let mut cfg = AugmentationConfig::default();
    /// cfg.scale_range = ParamRange::new(1.2, 0.8);
    /// let err = cfg.validate().unwrap_err();
    /// assert!(err.to_string().contains("scale_range"));
    /// ```
    pub fn validate(&self) -> Result<(), ConfigError> {
        for p in Param::ALL {
            let r = self.range(p);
            if !r.lo.is_finite() || !r.hi.is_finite() {
                return Err(ConfigError::NonFiniteBound {
                    field: p.range_field(),
                    lo: r.lo,
                    hi: r.hi,
                });
            }
            // The width must be finite too, or every draw would be infinite.
            if r.lo >= r.hi || !(r.hi - r.lo).is_finite() {
                return Err(ConfigError::EmptyRange {
                    field: p.range_field(),
                    lo: r.lo,
                    hi: r.hi,
                });
            }
        }
        if self.augmentation_depth == 0 || self.augmentation_depth > MAX_DEPTH {
            return Err(ConfigError::Depth {
                depth: self.augmentation_depth as u64,
                max: MAX_DEPTH,
            });
        }
        Ok(())
    }

    /// Parses a config from the reference's JSON form and validates it.
    ///
    /// # Examples
    ///
    /// ```
    /// let cfg = dpa::AugmentationConfig::from_json_str(r#"{"augmentation_depth": 3}"#).unwrap();
    /// assert_eq!(cfg.augmentation_depth, 3);
    /// assert!(dpa::AugmentationConfig::from_json_str(r#"{"augmentation_depth": 0}"#).is_err());
    /// ```
    pub fn from_json_str(text: &str) -> Result<Self, ConfigError> {
        Self::from_json_text(text).map(|(cfg, _)| cfg)
    }

    /// [`AugmentationConfig::from_json_str`], deciding each bound from its text, as
    /// Python's `json` reads it: an integer is a Python int, whatever its size (one
    /// beyond 2^53, which no double holds, is refused by name, even where serde_json
    /// would have read it as a float), and `-0` is the int 0. Returns the config and
    /// its JSON with the bounds so read (`-0` as `0`), from which
    /// [`ConfigForms::from_json`](crate::formats::ConfigForms::from_json) takes their
    /// forms.
    ///
    /// # Examples
    ///
    /// ```
    /// use dpa::AugmentationConfig;
    /// let (cfg, json) = AugmentationConfig::from_json_text(r#"{"noise_range": [-0, 0.1]}"#).unwrap();
    /// assert!(cfg.noise_range.lo.is_sign_positive());
    /// assert_eq!(json["noise_range"][0], 0);
    /// let err = AugmentationConfig::from_json_text(r#"{"rotation_range": [-2048, 18446744073709553665]}"#);
    /// assert!(err.unwrap_err().to_string().contains("beyond 2^53"));
    /// ```
    pub fn from_json_text(text: &str) -> Result<(Self, serde_json::Value), ConfigError> {
        let json = |e: serde_json::Error| ConfigError::Json(e.to_string());
        let mut value: serde_json::Value = serde_json::from_str(text).map_err(json)?;
        let fields: std::collections::BTreeMap<String, Box<serde_json::value::RawValue>> =
            serde_json::from_str(text).map_err(json)?;
        for p in Param::ALL {
            let field = p.range_field();
            let Some(raw) = fields.get(field) else {
                continue;
            };
            let Ok(bounds) =
                serde_json::from_str::<Vec<Box<serde_json::value::RawValue>>>(raw.get())
            else {
                continue;
            };
            for (i, b) in bounds.iter().enumerate() {
                if integer_text(b.get()).is_some_and(beyond_2_53) {
                    return Err(beyond_2_53_error(field, b.get()));
                }
                if integer_text(b.get()).is_some_and(|digits| digits == "0") {
                    value[field][i] = serde_json::Value::from(0u64);
                }
            }
        }
        Ok((Self::from_json_value(value.clone())?, value))
    }

    /// [`AugmentationConfig::from_json_str`] of parsed JSON. Integer bounds beyond 2^53
    /// are refused by name: the reference computes with the integer itself, which no
    /// double holds, so dpa would draw other values than the reference.
    ///
    /// # Examples
    ///
    /// ```
    /// let v = serde_json::json!({"rotation_range": [-30, 9007199254740993_i64]});
    /// let err = dpa::AugmentationConfig::from_json_value(v).unwrap_err().to_string();
    /// assert!(err.contains("rotation_range"), "{err}");
    /// ```
    pub fn from_json_value(value: serde_json::Value) -> Result<Self, ConfigError> {
        check_integer_bounds(&value)?;
        let cfg: AugmentationConfig =
            serde_json::from_value(value).map_err(|e| ConfigError::Json(e.to_string()))?;
        cfg.validate()?;
        Ok(cfg)
    }
}

/// Refuses integer bounds beyond 2^53 in a config's JSON: the reference computes with
/// the integer itself (`random.uniform(lo, hi)` subtracts exact integers), a double
/// cannot hold it, and dpa would draw other values than the reference.
fn check_integer_bounds(value: &serde_json::Value) -> Result<(), ConfigError> {
    for p in Param::ALL {
        let field = p.range_field();
        let Some(bounds) = value.get(field).and_then(|v| v.as_array()) else {
            continue;
        };
        for b in bounds {
            let big = b.as_i64().map(i64::unsigned_abs).or(b.as_u64());
            let too_big =
                big.is_some_and(|m| m > 1 << 53) || (b.is_number() && !b.is_f64() && big.is_none());
            if too_big {
                return Err(beyond_2_53_error(field, &b.to_string()));
            }
        }
    }
    Ok(())
}

/// The digits of a JSON number's text that is an integer (no fraction, no exponent),
/// without its sign.
fn integer_text(text: &str) -> Option<&str> {
    let digits = text.trim().strip_prefix('-').unwrap_or(text.trim());
    (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())).then_some(digits)
}

/// Whether an integer's digits (no sign, no leading zero but for 0 itself) exceed 2^53.
fn beyond_2_53(digits: &str) -> bool {
    digits.len() > 16 || digits.parse::<u64>().map_or(true, |m| m > 1 << 53)
}

fn beyond_2_53_error(field: &'static str, bound: &str) -> ConfigError {
    ConfigError::Invalid {
        field,
        message: format!(
            "the integer bound {bound} is beyond 2^53: no double holds it, so dpa cannot compute what the reference computes with it; write it as a float or a smaller integer"
        ),
    }
}

/// The reference's named configurations.
///
/// # Examples
///
/// ```
/// use dpa::Preset;
/// let p: Preset = "aggressive".parse().unwrap();
/// assert_eq!(p.config().rotation_range.hi, 45.0);
/// assert!("wild".parse::<Preset>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preset {
    /// Small perturbations.
    Mild,
    /// The default.
    Moderate,
    /// Large perturbations.
    Aggressive,
}

impl Preset {
    /// All presets.
    pub const ALL: [Preset; 3] = [Preset::Mild, Preset::Moderate, Preset::Aggressive];

    /// The preset's name.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(dpa::Preset::Mild.name(), "mild");
    /// ```
    pub const fn name(self) -> &'static str {
        match self {
            Preset::Mild => "mild",
            Preset::Moderate => "moderate",
            Preset::Aggressive => "aggressive",
        }
    }

    /// The preset's configuration, with the reference's values.
    ///
    /// # Examples
    ///
    /// ```
    /// let cfg = dpa::Preset::Mild.config();
    /// assert_eq!(cfg.noise_range.hi, 0.05);
    /// assert_eq!(cfg.augmentation_depth, 10);
    /// ```
    pub const fn config(self) -> AugmentationConfig {
        let r = ParamRange::new;
        match self {
            Preset::Mild => AugmentationConfig {
                rotation_range: r(-15.0, 15.0),
                brightness_range: r(0.9, 1.1),
                noise_range: r(0.0, 0.05),
                scale_range: r(0.9, 1.1),
                contrast_range: r(0.85, 1.15),
                augmentation_depth: 10,
            },
            Preset::Moderate => AugmentationConfig {
                rotation_range: r(-30.0, 30.0),
                brightness_range: r(0.8, 1.2),
                noise_range: r(0.0, 0.1),
                scale_range: r(0.8, 1.2),
                contrast_range: r(0.7, 1.3),
                augmentation_depth: 10,
            },
            Preset::Aggressive => AugmentationConfig {
                rotation_range: r(-45.0, 45.0),
                brightness_range: r(0.7, 1.3),
                noise_range: r(0.0, 0.15),
                scale_range: r(0.7, 1.3),
                contrast_range: r(0.6, 1.4),
                augmentation_depth: 10,
            },
        }
    }
}

impl fmt::Display for Preset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Preset {
    type Err = ConfigError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Preset::ALL
            .into_iter()
            .find(|p| p.name() == s)
            .ok_or_else(|| ConfigError::UnknownPreset(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_are_valid() {
        for p in Preset::ALL {
            p.config().validate().unwrap();
        }
    }

    #[test]
    fn integer_bounds_are_accepted() {
        let cfg = AugmentationConfig::from_json_str(r#"{"rotation_range": [-30, 30]}"#).unwrap();
        assert_eq!(cfg.rotation_range, ParamRange::new(-30.0, 30.0));
    }

    #[test]
    fn unknown_field_is_named() {
        let err = AugmentationConfig::from_json_str(r#"{"rotation": [1, 2]}"#).unwrap_err();
        assert!(err.to_string().contains("rotation"), "{err}");
    }

    #[test]
    fn validation_names_the_field() {
        let mut cfg = AugmentationConfig {
            noise_range: ParamRange::new(0.1, 0.1),
            ..Default::default()
        };
        assert!(cfg
            .validate()
            .unwrap_err()
            .to_string()
            .contains("noise_range"));
        cfg.noise_range = ParamRange::new(f64::NAN, 0.1);
        assert!(cfg
            .validate()
            .unwrap_err()
            .to_string()
            .contains("noise_range"));
        cfg.noise_range = ParamRange::new(-f64::MAX, f64::MAX);
        assert!(cfg
            .validate()
            .unwrap_err()
            .to_string()
            .contains("noise_range"));
        cfg = AugmentationConfig::default();
        cfg.augmentation_depth = 0;
        assert!(cfg
            .validate()
            .unwrap_err()
            .to_string()
            .contains("augmentation_depth"));
        cfg.augmentation_depth = MAX_DEPTH + 1;
        assert!(cfg.validate().is_err());
        cfg.augmentation_depth = MAX_DEPTH;
        assert!(cfg.validate().is_ok());
    }

    #[test]
    fn wrong_shapes_are_errors() {
        for bad in [
            r#"{"rotation_range": [1]}"#,
            r#"{"rotation_range": [1, 2, 3]}"#,
            r#"{"rotation_range": ["a", 2]}"#,
            r#"{"augmentation_depth": -1}"#,
            r#"{"augmentation_depth": 2.5}"#,
            r#"[]"#,
            r#"{"#,
        ] {
            assert!(AugmentationConfig::from_json_str(bad).is_err(), "{bad}");
        }
    }
}
