//! Money and spend: amounts in minor units, written with the currency's own exponent through
//! `rusty-money` (ISO 4217 table: JPY none, EUR two, KWD three), and a plan's price normalised
//! to a month.

use rusty_money::{iso, Money as RMoney};
pub use wire::billing::Money;

/// `minor` units of the ISO 4217 `currency` (any case). An unknown currency keeps its amount
/// and code and is written as `<minor> <CODE> (minor units)` rather than guessed.
pub fn money(minor: i64, currency: &str) -> Money {
    let code = currency.to_ascii_uppercase();
    let display = match iso::find(&code) {
        Some(c) => RMoney::from_minor(minor, c).to_string(),
        None => format!("{minor} {code} (minor units)"),
    };
    Money {
        minor,
        currency: code,
        display,
    }
}

/// A billing interval (docs.stripe.com/api/prices/object `recurring.interval`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Interval {
    Day,
    Week,
    Month,
    Year,
}

impl Interval {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "day" => Self::Day,
            "week" => Self::Week,
            "month" => Self::Month,
            "year" => Self::Year,
            _ => return None,
        })
    }

    /// Months per interval as a fraction (numerator, denominator): a year is 12, a week
    /// 12/52, a day 12/365 (Stripe's own convention for monthly equivalents).
    fn months(self) -> (i128, i128) {
        match self {
            Self::Day => (12, 365),
            Self::Week => (12, 52),
            Self::Month => (1, 1),
            Self::Year => (12, 1),
        }
    }
}

/// What `per_period` (minor units, one billing period of `interval_count` × `interval`)
/// comes to per month, rounded half away from zero to a minor unit.
pub fn monthly(per_period: i64, interval: Interval, interval_count: u32) -> i64 {
    let (num, den) = interval.months();
    let months_num = num * i128::from(interval_count.max(1));
    // per_period / (months_num / den) = per_period × den / months_num
    let (n, d) = (i128::from(per_period) * den, months_num);
    // Half away from zero; d > 0.
    let q = (2 * n.abs() + d) / (2 * d) * n.signum();
    i64::try_from(q).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_follow_the_currency_exponent() {
        let eur = money(123_456, "eur");
        assert_eq!((eur.minor, eur.currency.as_str()), (123_456, "EUR"));
        // rusty-money writes each currency in its own locale's separators.
        assert_eq!(eur.display, "€1.234,56");
        // JPY has no minor unit: 1200 yen is ¥1,200, not ¥12.00.
        assert_eq!(money(1_200, "jpy").display, "¥1,200");
        // KWD has three: 1500 fils is 1.500 dinars.
        assert_eq!(money(1_500, "KWD").display, "د.ك1.500");
        assert_eq!(money(800, "usd").display, "$8.00");
        assert_eq!(money(5, "XXQ").display, "5 XXQ (minor units)");
    }

    #[test]
    fn spend_is_normalised_to_a_month() {
        assert_eq!(monthly(4_000, Interval::Month, 1), 4_000);
        assert_eq!(monthly(12_000, Interval::Year, 1), 1_000);
        // 100 a year is 8.333… a month: rounded to 8.
        assert_eq!(monthly(100, Interval::Year, 1), 8);
        assert_eq!(monthly(150, Interval::Year, 1), 13); // 12.5 rounds up
        assert_eq!(monthly(9_000, Interval::Month, 3), 3_000);
        assert_eq!(monthly(1_000, Interval::Week, 1), 4_333);
        assert_eq!(monthly(-150, Interval::Year, 1), -13);
    }
}
