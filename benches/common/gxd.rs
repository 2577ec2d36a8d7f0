//! A gxd started for a load generator: the real binary on 127.0.0.1:0 with a temporary data
//! directory, stopped (SIGTERM) when dropped, and the admin token it wrote on its first start.

use std::process::{Child, Command, Stdio};

pub struct Server {
    pub child: Child,
    _data: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

/// Starts gxd; returns it, its address and its bootstrap admin token.
pub fn start_gxd() -> (Server, String, Option<String>) {
    use std::io::{BufRead, BufReader};
    let data = tempfile::tempdir().expect("temp dir");
    let mut child = Command::new(env!("CARGO_BIN_EXE_gxd"))
        .args(["--listen", "127.0.0.1:0", "--data"])
        .arg(data.path())
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .expect("gxd starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("address line");
    // Written before the address is printed.
    let token = std::fs::read_to_string(data.path().join(gx::auth::ADMIN_TOKEN_FILE))
        .ok()
        .map(|t| t.trim().to_string());
    (
        Server { child, _data: data },
        line.trim().to_string(),
        token,
    )
}

/// Adds `authorization: Bearer <token>` to every call.
pub fn bearer(
    token: Option<String>,
) -> impl FnMut(tonic::Request<()>) -> Result<tonic::Request<()>, tonic::Status> + Clone {
    let value = token.map(|t| {
        tonic::metadata::MetadataValue::try_from(format!("Bearer {t}")).expect("token is ASCII")
    });
    move |mut req: tonic::Request<()>| {
        if let Some(v) = &value {
            req.metadata_mut().insert("authorization", v.clone());
        }
        Ok(req)
    }
}
