//! gxctl's exit codes: what each means (the one list `--help` prints) and the failure that
//! carries one to `main`.

use std::process::ExitCode;

/// What a command's outcome means for the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Exit {
    Ok = 0,
    Invalid = 1,
    Usage = 2,
    NotFound = 3,
    Unavailable = 4,
    Conflict = 5,
    Failure = 6,
    Denied = 7,
}

impl Exit {
    const ALL: [Exit; 8] = [
        Exit::Ok,
        Exit::Invalid,
        Exit::Usage,
        Exit::NotFound,
        Exit::Unavailable,
        Exit::Conflict,
        Exit::Failure,
        Exit::Denied,
    ];

    /// What the code tells the caller.
    fn meaning(self) -> &'static str {
        match self {
            Exit::Ok => "success; every report valid",
            Exit::Invalid => {
                "a report has validation errors; verify: a break, or the log does not extend --head"
            }
            Exit::Usage => "usage error or unreadable input, or a request over gxd's size limit",
            Exit::NotFound => "not found (no such report, body or revision)",
            Exit::Unavailable => "server unavailable",
            Exit::Conflict => {
                "conflict: the report changed meanwhile (--expected-revision, review --rev)"
            }
            Exit::Failure => "any other server failure",
            Exit::Denied => {
                "not allowed: no, an unknown or a revoked token, or a token that does not cover it"
            }
        }
    }

    /// Every code and its meaning, one per line, as `gxctl --help` lists them.
    pub fn table() -> String {
        Exit::ALL
            .iter()
            .map(|e| format!("  {}  {}\n", *e as u8, e.meaning()))
            .collect()
    }

    /// The exit code of an error: its [`Failure`]'s, else a usage error.
    pub fn of(e: &anyhow::Error) -> Exit {
        e.downcast_ref::<Failure>().map_or(Exit::Usage, |f| f.exit)
    }
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> ExitCode {
        ExitCode::from(e as u8)
    }
}

/// A failure with its exit code and one clear line for stderr.
#[derive(Debug)]
pub struct Failure {
    pub exit: Exit,
    pub message: String,
}

impl Failure {
    pub fn new(exit: Exit, message: impl Into<String>) -> Failure {
        Failure {
            exit,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}
