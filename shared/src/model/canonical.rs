//! One stored form for values people type in several ways: an EAN as an
//! invoice prints it (`5414 4882 0000 0000 00`), a phone number with
//! slashes or the country code. Every write
//! of the household or a record stores the canonical form (the case
//! document does it, so the app, the command line and an import all
//! agree), and the rules compare canonical forms.
//!
//! Text that does not look like the value is kept as typed (trimmed), so a
//! rule can still say what is wrong with it.

use super::{Household, Record};

/// An EAN: its digits, without the spaces, dots, dashes or slashes it is
/// often printed with.
pub fn ean(text: &str) -> String {
    let t = text.trim();
    let digits: String = t
        .chars()
        .filter(|c| !(c.is_whitespace() || matches!(c, '.' | '-' | '/')))
        .collect();
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        digits
    } else {
        t.to_owned()
    }
}

/// A Belgian phone number, grouped as it is written in Belgium:
/// `0470 12 34 56` (mobile), `02 123 45 67` (Brussels, Antwerp, Liège,
/// Ghent), `056 12 34 56` (other zones). `+32` and `0032` become `0`;
/// separators (spaces, `/`, `.`, `-`, brackets) go. A foreign or
/// unrecognised number is kept as typed.
pub fn phone(text: &str) -> String {
    let t = text.trim();
    let plus = t.starts_with('+');
    let mut digits: String = t
        .chars()
        .filter(|c| !(c.is_whitespace() || matches!(c, '/' | '.' | '-' | '(' | ')' | '+')))
        .collect();
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return t.to_owned();
    }
    let national = if plus {
        digits.strip_prefix("32")
    } else {
        digits.strip_prefix("0032")
    };
    match national {
        // `+32 (0)56 ...`: the zero in brackets is the national prefix.
        Some(rest) if rest.starts_with('0') => digits = rest.to_owned(),
        Some(rest) => digits = format!("0{rest}"),
        None if plus => return t.to_owned(),
        None => {}
    }
    let d = digits.as_str();
    if !d.starts_with('0') || d.starts_with("00") {
        return t.to_owned();
    }
    let group = |cuts: &[usize]| {
        let mut out = String::new();
        let mut from = 0;
        for &to in cuts.iter().chain(std::iter::once(&d.len())) {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(&d[from..to]);
            from = to;
        }
        out
    };
    let mobile = d.len() == 10 && d.starts_with("04");
    if mobile {
        group(&[4, 6, 8])
    } else if d.len() == 9 && matches!(&d[..2], "02" | "03" | "04" | "09") {
        group(&[2, 5, 7])
    } else if d.len() == 9 {
        group(&[3, 5, 7])
    } else {
        t.to_owned()
    }
}

impl Household {
    /// Puts every value that has a canonical form in it.
    pub fn canonicalise(&mut self) {
        if let Some(p) = &mut self.phone {
            *p = phone(p);
        }
    }
}

impl Record {
    /// Puts every value that has a canonical form in it.
    pub fn canonicalise(&mut self) {
        if let Record::MeterCheck(m) = self {
            m.ean = ean(&m.ean);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ean_as_an_invoice_prints_it_is_its_digits() {
        assert_eq!(ean(" 5414 4882 0000 0000 00 "), "541448820000000000");
        assert_eq!(ean("541448.820000.000000"), "541448820000000000");
        assert_eq!(ean("541448820000000000"), "541448820000000000");
        // Not digits: kept, so the rule can say what is wrong.
        assert_eq!(ean(" 54AB "), "54AB");
    }

    #[test]
    fn belgian_phone_numbers_are_grouped_the_belgian_way() {
        for typed in [
            "0470 12 34 56",
            "0470/12.34.56",
            "+32 470 12 34 56",
            "0032470123456",
        ] {
            assert_eq!(phone(typed), "0470 12 34 56", "{typed}");
        }
        assert_eq!(phone("056/11.11.11"), "056 11 11 11");
        assert_eq!(phone("+32 (0)56 11 11 11"), "056 11 11 11");
        assert_eq!(phone("02 123 45 67"), "02 123 45 67");
        assert_eq!(phone("021234567"), "02 123 45 67");
        assert_eq!(phone("+33 1 23 45 67 89"), "+33 1 23 45 67 89");
        assert_eq!(phone("bel na 17u"), "bel na 17u");
    }
}
