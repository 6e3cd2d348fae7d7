//! Exit codes shared by every subcommand: 0 valid, 1 invalid, 2 unknown, 254 bad arguments or
//! input, 255 the harness itself failed. Verdicts become codes in one place,
//! `results::Verdict::exit_code`.

use std::process::ExitCode;

use checkers::Validity;
use results::Verdict;

/// Bad arguments, or input that could not be read or parsed.
pub const BAD_INPUT: u8 = 254;
/// The harness failed (setup, a node, an internal error).
pub const HARNESS_FAILED: u8 = results::verdict::CRASHED_EXIT;

/// The exit code for an overall verdict.
pub fn for_verdict(verdict: Verdict) -> ExitCode {
    ExitCode::from(verdict.exit_code())
}

/// The exit code for the checkers' overall validity.
pub fn for_validity(validity: Validity) -> ExitCode {
    for_verdict(Verdict::from(validity))
}

/// Prints a clap error; help and version go to stdout with code 0, real errors exit 254. A bad
/// value is one line (which flag, what was wrong, the fix).
pub fn usage_error(e: clap::Error) -> ExitCode {
    if e.kind() == clap::error::ErrorKind::ValueValidation {
        let text = e.to_string();
        eprintln!("{}", text.lines().next().unwrap_or_default());
        return ExitCode::from(BAD_INPUT);
    }
    let code = if e.use_stderr() { BAD_INPUT } else { 0 };
    let _ = e.print();
    ExitCode::from(code)
}

/// `println!` that never panics: when stdout is closed (`faultline check … | head -1`) the line
/// is dropped and the command goes on to its exit code, quietly.
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::exit::say_line(format_args!($($arg)*))
    };
}
pub(crate) use say;

/// Writes `line` and a newline to stdout, ignoring a closed stdout (see [`say!`]).
pub fn say_line(line: std::fmt::Arguments) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = out.write_fmt(line).and_then(|()| out.write_all(b"\n"));
}
