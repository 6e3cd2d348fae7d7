//! Upper bounds on the numbers people give faultline (flags, test files, campaign files), each
//! checked once, before anything runs: a value past a bound is refused with one line saying the
//! range, never accepted to overflow or panic later.

use std::io::Read;
use std::path::Path;
use std::time::Duration;

/// The longest time limit, interval or budget: a week, in seconds.
pub const MAX_SECONDS: f64 = nemesis::schedule::MAX_SECONDS;
/// The fewest ops per second a run may aim for (one op every 1000 s).
pub const MIN_RATE: f64 = 0.001;
/// The most ops per second a run may aim for.
pub const MAX_RATE: f64 = 1e6;
/// The most client workers a run may have.
pub const MAX_CONCURRENCY: usize = 1000;
/// The most runs one `faultline test` or one campaign may make.
pub const MAX_RUNS: u64 = 10_000;
/// The largest test, schedule or campaign file read (they are a few lines).
pub const MAX_FILE_BYTES: u64 = 1 << 20;

/// The text of a test, schedule or campaign file, refused past [`MAX_FILE_BYTES`] (so
/// `/dev/zero` named as a schedule is an error, not a machine out of memory).
pub fn read_text(path: &Path) -> Result<String, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut text = String::new();
    file.take(MAX_FILE_BYTES + 1).read_to_string(&mut text).map_err(|e| format!("{}: {e}", path.display()))?;
    if text.len() as u64 > MAX_FILE_BYTES {
        return Err(format!(
            "{}: larger than {} MiB; give a file of a few lines",
            path.display(),
            MAX_FILE_BYTES >> 20
        ));
    }
    Ok(text)
}

/// `value` seconds of the setting `name` as a duration, when it is above 0 and at most a week.
pub fn seconds(name: &str, value: f64) -> Result<Duration, String> {
    if value.is_finite() && value > 0.0 && value <= MAX_SECONDS {
        Ok(Duration::from_secs_f64(value))
    } else {
        // Debug shows 1e300 as `1e300`, where Display writes three hundred digits.
        Err(format!("{name} = {value:?}: use a number of seconds above 0 and at most {MAX_SECONDS} (a week)"))
    }
}

/// `value` ops per second, when it is from [`MIN_RATE`] to [`MAX_RATE`].
pub fn rate(value: f64) -> Result<f64, String> {
    if (MIN_RATE..=MAX_RATE).contains(&value) {
        Ok(value)
    } else {
        Err(format!("rate = {value:?}: use ops per second from {MIN_RATE} to {MAX_RATE}"))
    }
}

/// A time budget flag (`--time-budget SECONDS`, 0 to give up at once), for clap.
pub fn budget(text: &str) -> Result<f64, String> {
    let value: f64 = text.trim().parse().map_err(|_| format!("{text:?} is not a number of seconds"))?;
    if (0.0..=MAX_SECONDS).contains(&value) {
        Ok(value)
    } else {
        Err(format!("{value:?} seconds: use from 0 to {MAX_SECONDS} (a week)"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_past_their_bounds_are_refused_with_the_range() {
        assert_eq!(seconds("time-limit", 1.5), Ok(Duration::from_millis(1500)));
        for bad in [-1.0, 0.0, f64::NAN, f64::INFINITY, 1e300, MAX_SECONDS * 2.0] {
            let err = seconds("time-limit", bad).unwrap_err();
            assert!(err.starts_with("time-limit = ") && err.contains("a week"), "{err}");
        }
        assert_eq!(rate(50.0), Ok(50.0));
        assert_eq!(rate(1e-20).unwrap_err(), "rate = 1e-20: use ops per second from 0.001 to 1000000");
        assert!(seconds("at", 1e300).unwrap_err().starts_with("at = 1e300: "));
        assert!(rate(f64::NAN).is_err() && rate(1e300).is_err());
        let err = read_text(Path::new("/dev/zero")).unwrap_err();
        assert!(err.starts_with("/dev/zero: ") && (err.contains("1 MiB") || err.contains("UTF-8")), "{err}");
        assert_eq!(budget("2.5"), Ok(2.5));
        assert_eq!(budget("0"), Ok(0.0));
        for bad in ["-1", "nan", "inf", "1e300", "soon"] {
            assert!(budget(bad).is_err(), "{bad}");
        }
    }
}
