//! Where one doc file's commands run: a fresh home (config and gxd's default data directory
//! under it), a working directory holding copies of `examples/`, `tests/fixtures/` and
//! `tests/golden/`, and one gxd on `127.0.0.1:0` started as on a fresh machine — no
//! `--data`, so it keeps its data and its first admin token under that home, where gxctl
//! finds the token by itself.

use std::ffi::OsString;
use std::io::{BufRead, BufReader, Read, Seek};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

/// The longest one command may take before it counts as hung.
const TIMEOUT: Duration = Duration::from_secs(60);

/// What a command printed (stdout and stderr as one stream) and how it ended.
pub struct Outcome {
    pub output: String,
    /// The exit code; `None` when it was killed by a signal or hung.
    pub code: Option<i32>,
}

/// One doc file's machine.
pub struct Session {
    dir: tempfile::TempDir,
    gxd: Option<Daemon>,
}

/// A running gxd: killed when dropped.
struct Daemon {
    child: Child,
    url: String,
    _stdout: BufReader<ChildStdout>,
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Session {
    /// A fresh home and working directory, and gxd running on them.
    pub fn new() -> Session {
        let dir = tempfile::Builder::new()
            .prefix("gx-docs-")
            .tempdir()
            .expect("temp dir");
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let work = dir.path().join("work");
        copy_dir(&root.join("examples"), &work.join("examples"));
        copy_dir(&root.join("tests/fixtures"), &work.join("tests/fixtures"));
        copy_dir(&root.join("tests/golden"), &work.join("tests/golden"));
        std::fs::create_dir_all(dir.path().join("home")).expect("home");
        let mut session = Session { dir, gxd: None };
        session.start_gxd();
        session
    }

    fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    /// The environment of a fresh login: nothing of the test run's own leaks in.
    fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let bin = Path::new(env!("CARGO_BIN_EXE_gxctl"))
            .parent()
            .expect("bin dir");
        let mut path = OsString::from(bin);
        if let Some(p) = std::env::var_os("PATH") {
            path.push(":");
            path.push(p);
        }
        let mut cmd = Command::new(program);
        cmd.env_clear()
            .env("PATH", path)
            .env("HOME", self.home())
            .env("LC_ALL", "C")
            .env("NO_COLOR", "1")
            .current_dir(self.dir.path().join("work"))
            .stdin(Stdio::null());
        cmd
    }

    /// Starts gxd on its default data directory under the home, on any free port.
    pub fn start_gxd(&mut self) {
        assert!(self.gxd.is_none(), "gxd runs already");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.path().join("gxd.log"))
            .expect("gxd log");
        let mut child = self
            .command(env!("CARGO_BIN_EXE_gxd"))
            .args(["--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .expect("gxd starts");
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let mut addr = String::new();
        stdout.read_line(&mut addr).expect("gxd's first line");
        let url = format!("http://{}", addr.trim());
        let mut data = String::new();
        stdout.read_line(&mut data).expect("gxd's second line");
        let mut gxd = Daemon {
            child,
            url,
            _stdout: stdout,
        };
        // Its default data directory is the user's: under the fresh home, never the real one.
        let home = format!("data: {}", self.home().display());
        if !data.starts_with(&home) {
            let _ = gxd.child.kill();
            panic!(
                "gxd did not start under {home:?}: {addr:?} {data:?}\n{}",
                self.gxd_log()
            );
        }
        self.gxd = Some(gxd);
    }

    /// Stops gxd as an operator does (SIGTERM) and waits for it.
    pub fn stop_gxd(&mut self) {
        let mut gxd = self.gxd.take().expect("gxd runs");
        let term = Command::new("kill")
            .args(["-TERM", &gxd.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(term.success(), "kill -TERM failed");
        let status = wait(&mut gxd.child).expect("gxd stops within a minute");
        assert!(
            status.success(),
            "gxd stopped with {status}:\n{}",
            self.gxd_log()
        );
    }

    pub fn gxd_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("gxd.log")).unwrap_or_default()
    }

    /// Runs `text` with `sh -c` in the working directory, with GX_SERVER pointing at gxd.
    pub fn run(&self, text: &str) -> Outcome {
        let mut out = tempfile::tempfile_in(self.dir.path()).expect("output file");
        let mut cmd = self.command("sh");
        cmd.arg("-c").arg(text);
        if let Some(gxd) = &self.gxd {
            cmd.env("GX_SERVER", &gxd.url);
        }
        let mut child = cmd
            .stdout(out.try_clone().expect("dup"))
            .stderr(out.try_clone().expect("dup"))
            .spawn()
            .expect("sh starts");
        let code = match wait(&mut child) {
            Some(status) => status.code(),
            None => {
                let _ = child.kill();
                let _ = child.wait();
                None
            }
        };
        let mut bytes = Vec::new();
        out.rewind().expect("rewind");
        out.read_to_end(&mut bytes).expect("read output");
        Outcome {
            output: String::from_utf8_lossy(&bytes).into_owned(),
            code,
        }
    }
}

/// Waits at most [`TIMEOUT`] for `child`.
fn wait(child: &mut Child) -> Option<std::process::ExitStatus> {
    let deadline = Instant::now() + TIMEOUT;
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return Some(status);
        }
        if Instant::now() > deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create dir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("dir entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy");
        }
    }
}
