//! Belgian formats: dates dd/mm/jjjj, times 24 h, money € 1.234,56, and
//! numbers typed with a decimal comma or point.

use chrono::{NaiveDate, NaiveDateTime};

/// A date as 26/11/2026.
pub fn date(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

/// A local date and time as 26/11/2026 14:30.
pub fn date_time(d: NaiveDateTime) -> String {
    d.format("%d/%m/%Y %H:%M").to_string()
}

/// Euro cents as € 1.234,56 (negative: −€ 50,00).
pub fn money(cents: i64) -> String {
    let sign = if cents < 0 { "−" } else { "" };
    let abs = cents.unsigned_abs();
    let euros = (abs / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in euros.chars().enumerate() {
        if i > 0 && (euros.len() - i).is_multiple_of(3) {
            grouped.push('.');
        }
        grouped.push(c);
    }
    format!("{sign}€ {grouped},{:02}", abs % 100)
}

/// A number as typed: "1,5", "1.5", "1.234,5" or "1234.5". `None` when it
/// is not a number.
pub fn parse_decimal(text: &str) -> Option<f64> {
    let t: String = text.trim().chars().filter(|c| !c.is_whitespace()).collect();
    if t.is_empty() {
        return None;
    }
    let normal = match (t.rfind(','), t.rfind('.')) {
        // Both: the last one is the decimal separator.
        (Some(c), Some(p)) if c > p => t.replace('.', "").replace(',', "."),
        (Some(_), Some(_)) => t.replace(',', ""),
        (Some(_), None) => t.replace(',', "."),
        _ => t,
    };
    normal.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// A date as typed in Belgium: 26/11/2026, 26-11-2026, 26.11.2026,
/// 26 11 2026 or 26112026; a two-digit year is 20xx. `None` when it is not
/// a real date.
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    let t = text.trim();
    let parts: Vec<&str> = t
        .split(|c: char| c == '/' || c == '-' || c == '.' || c.is_whitespace())
        .filter(|p| !p.is_empty())
        .collect();
    let (d, m, y) = match parts.as_slice() {
        [d, m, y] => (*d, *m, *y),
        [all] if all.len() == 8 && all.chars().all(|c| c.is_ascii_digit()) => {
            (&all[..2], &all[2..4], &all[4..])
        }
        _ => return None,
    };
    let (d, m, y): (u32, u32, i32) = (d.parse().ok()?, m.parse().ok()?, y.parse().ok()?);
    let y = match y {
        0..=99 => 2000 + y,
        1900..=2200 => y,
        _ => return None,
    };
    NaiveDate::from_ymd_opt(y, m, d)
}

/// A date and time as typed: a date as [`parse_date`] reads it, then a
/// time 14:00, 14.00, 14u00 or 1400.
pub fn parse_date_time(text: &str) -> Option<NaiveDateTime> {
    let t = text.trim();
    let (date, time) = t.rsplit_once(char::is_whitespace)?;
    let date = parse_date(date)?;
    let digits: String = time.chars().filter(|c| c.is_ascii_digit()).collect();
    let separated = time.contains([':', '.', 'u', 'h']);
    let (h, m) = match (separated, digits.len()) {
        (true, _) => {
            let (h, m) = time.split_once([':', '.', 'u', 'h'])?;
            (
                h.parse().ok()?,
                if m.is_empty() { 0 } else { m.parse().ok()? },
            )
        }
        (false, 3 | 4) => {
            let split = digits.len() - 2;
            (digits[..split].parse().ok()?, digits[split..].parse().ok()?)
        }
        (false, 1 | 2) => (digits.parse().ok()?, 0),
        _ => return None,
    };
    date.and_hms_opt(h, m, 0)
}

/// A number shown with a decimal comma.
pub fn decimal(value: f64, places: usize) -> String {
    format!("{value:.places$}").replace('.', ",")
}

/// A stored value as a worker reads it: text as is, yes/no, dates in
/// Belgian form, numbers with a decimal comma, "—" for nothing.
pub fn json_value(lang: crate::i18n::Lang, value: &serde_json::Value) -> String {
    use serde_json::Value;
    match value {
        Value::Null => "—".into(),
        Value::Bool(true) => if lang == crate::i18n::Lang::Nl {
            "ja"
        } else {
            "yes"
        }
        .into(),
        Value::Bool(false) => if lang == crate::i18n::Lang::Nl {
            "nee"
        } else {
            "no"
        }
        .into(),
        Value::Number(n) => n.to_string().replace('.', ","),
        Value::String(s) => {
            if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
                date(d)
            } else if let Ok(d) = NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S") {
                date_time(d)
            } else {
                s.clone()
            }
        }
        Value::Array(a) => a
            .iter()
            .map(|v| json_value(lang, v))
            .collect::<Vec<_>>()
            .join(", "),
        Value::Object(_) => value.to_string(),
    }
}

/// A moment in the worker's local time, dd/mm/jjjj uu:mm.
pub fn moment(at: chrono::DateTime<chrono::Utc>) -> String {
    date_time(at.with_timezone(&chrono::Local).naive_local())
}

#[cfg(test)]
mod tests {
    #[test]
    fn dates_are_read_the_belgian_way_and_impossible_ones_refused() {
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d);
        for text in [
            "26/11/2026",
            "26-11-2026",
            "26.11.2026",
            " 26 11 2026 ",
            "26112026",
            "26/11/26",
        ] {
            assert_eq!(parse_date(text), d(2026, 11, 26), "{text}");
        }
        assert_eq!(parse_date("5/1/2027"), d(2027, 1, 5));
        for text in [
            "31/02/2026",
            "2026-11-26x",
            "11/26",
            "",
            "aa/bb/cccc",
            "26/11/12026",
        ] {
            assert_eq!(parse_date(text), None, "{text}");
        }
        let at = |h, m| d(2026, 11, 26).and_then(|d| d.and_hms_opt(h, m, 0));
        for text in [
            "26/11/2026 14:05",
            "26.11.2026 14.05",
            "26/11/2026 14u05",
            "26112026 1405",
        ] {
            assert_eq!(parse_date_time(text), at(14, 5), "{text}");
        }
        assert_eq!(parse_date_time("26/11/2026 9u"), at(9, 0));
        assert_eq!(parse_date_time("26/11/2026 25:00"), None);
        assert_eq!(parse_date_time("26/11/2026"), None);
    }

    use super::*;

    #[test]
    fn belgian_dates_and_money() {
        assert_eq!(
            date(NaiveDate::from_ymd_opt(2026, 3, 7).unwrap()),
            "07/03/2026"
        );
        assert_eq!(money(123_456), "€ 1.234,56");
        assert_eq!(money(5), "€ 0,05");
        assert_eq!(money(-5_000), "−€ 50,00");
        assert_eq!(money(100_000_000), "€ 1.000.000,00");
    }

    #[test]
    fn numbers_accept_comma_and_point() {
        assert_eq!(parse_decimal("1,5"), Some(1.5));
        assert_eq!(parse_decimal("1.5"), Some(1.5));
        assert_eq!(parse_decimal("12.345,6"), Some(12345.6));
        assert_eq!(parse_decimal("12,345.6"), Some(12345.6));
        assert_eq!(parse_decimal("tien"), None);
        assert_eq!(parse_decimal(""), None);
        assert_eq!(decimal(11.5, 1), "11,5");
    }
}
