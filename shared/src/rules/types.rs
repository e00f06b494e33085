//! Validated values: once built through `parse`, they cannot be wrong.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Why a typed value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    /// A postcode that is not a Belgian one.
    #[error("postcode {0:?}: a Belgian postcode has 4 digits, 1000 to 9992")]
    Postcode(String),
    /// A national register number with a wrong length or check.
    #[error("national register number: {0}")]
    NationalNumber(&'static str),
    /// A meter number with a wrong length or characters.
    #[error("meter number {0:?}: 4 to 20 letters, digits or dashes")]
    MeterNumber(String),
    /// An EAN that fails a check.
    #[error("EAN: {0}")]
    Ean(EanError),
}

/// A Belgian postcode, 1000 to 9992.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Postcode(u16);

impl Postcode {
    /// Parses four digits in 1000..=9992.
    pub fn parse(text: &str) -> Result<Self, ValueError> {
        let t = text.trim();
        let bad = || ValueError::Postcode(t.to_owned());
        if t.len() != 4 || !t.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let n: u16 = t.parse().map_err(|_| bad())?;
        if (1000..=9992).contains(&n) {
            Ok(Self(n))
        } else {
            Err(bad())
        }
    }

    /// The number.
    pub fn value(self) -> u16 {
        self.0
    }
}

impl TryFrom<String> for Postcode {
    type Error = ValueError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<Postcode> for String {
    fn from(p: Postcode) -> Self {
        p.0.to_string()
    }
}

impl fmt::Display for Postcode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A Belgian national register number (rijksregisternummer): 11 digits
/// whose last two are a mod-97 check.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct NationalNumber(String);

impl NationalNumber {
    /// Parses 11 digits, allowing the usual separators (`85.07.30-033.28`).
    /// The check is 97 − (first 9 digits mod 97); for births from 2000 on it
    /// is computed over "2" followed by the first 9 digits.
    pub fn parse(text: &str) -> Result<Self, ValueError> {
        let digits: String = text
            .chars()
            .filter(|c| !matches!(c, '.' | '-' | ' '))
            .collect();
        if digits.len() != 11 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ValueError::NationalNumber("it must have 11 digits"));
        }
        let (base, check) = digits.split_at(9);
        let base: u64 = base
            .parse()
            .map_err(|_| ValueError::NationalNumber("it must have 11 digits"))?;
        let check: u64 = check
            .parse()
            .map_err(|_| ValueError::NationalNumber("it must have 11 digits"))?;
        let before_2000 = 97 - base % 97;
        let from_2000 = 97 - (2_000_000_000 + base) % 97;
        if check == before_2000 || check == from_2000 {
            Ok(Self(digits))
        } else {
            Err(ValueError::NationalNumber("the check digits do not match"))
        }
    }

    /// The number as shown in the app: only the last two digits readable.
    pub fn masked(&self) -> String {
        format!("**.**.**-***.{}", &self.0[9..])
    }

    /// The 11 digits.
    pub fn digits(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for NationalNumber {
    type Error = ValueError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<NationalNumber> for String {
    fn from(n: NationalNumber) -> Self {
        n.0
    }
}

/// A meter number: 4 to 20 letters, digits or dashes, leading zeros kept.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct MeterNumber(String);

impl MeterNumber {
    /// Parses a meter number; letters are stored in upper case, so
    /// `1sag1100` and `1SAG1100` are one meter.
    pub fn parse(text: &str) -> Result<Self, ValueError> {
        let t = text.trim();
        let ok = (4..=20).contains(&t.chars().count())
            && t.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        if ok {
            Ok(Self(t.to_ascii_uppercase()))
        } else {
            Err(ValueError::MeterNumber(t.to_owned()))
        }
    }

    /// The meter number as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for MeterNumber {
    type Error = ValueError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<MeterNumber> for String {
    fn from(n: MeterNumber) -> Self {
        n.0
    }
}

/// What is wrong with an EAN.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EanError {
    /// Not 18 digits.
    #[error("an EAN has exactly 18 digits")]
    Length,
    /// Does not start with 54 (Belgium).
    #[error("a Belgian EAN starts with 54")]
    Prefix,
    /// The last digit does not match the GS1 check.
    #[error("the check digit does not match (expected {expected})")]
    CheckDigit {
        /// The digit the GS1 algorithm gives.
        expected: u8,
    },
}

/// The GS1 mod-10 check digit over `digits`: weights 3 and 1 alternating
/// from the right, starting with 3.
pub fn gs1_check_digit(digits: &[u8]) -> u8 {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| u32::from(*d) * if i % 2 == 0 { 3 } else { 1 })
        .sum();
    ((10 - sum % 10) % 10) as u8
}

/// An 18-digit Belgian EAN of an energy connection point.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Ean(String);

impl Ean {
    /// Checks length, prefix and check digit; the spaces, dots and dashes
    /// an EAN is printed with are ignored ([`crate::model::canonical::ean`]).
    pub fn parse(text: &str) -> Result<Self, EanError> {
        let digits = crate::model::canonical::ean(text);
        if digits.len() != 18 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(EanError::Length);
        }
        if !digits.starts_with("54") {
            return Err(EanError::Prefix);
        }
        let values: Vec<u8> = digits.bytes().map(|b| b - b'0').collect();
        let expected = gs1_check_digit(&values[..17]);
        if values[17] != expected {
            return Err(EanError::CheckDigit { expected });
        }
        Ok(Self(digits))
    }

    /// The 18 digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The reference code for topping up a budget meter at the OCMW: the
    /// last 13 digits of the EAN.
    pub fn top_up_reference(&self) -> &str {
        &self.0[5..]
    }
}

impl TryFrom<String> for Ean {
    type Error = ValueError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s).map_err(ValueError::Ean)
    }
}

impl From<Ean> for String {
    fn from(e: Ean) -> Self {
        e.0
    }
}
