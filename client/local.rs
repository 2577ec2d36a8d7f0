//! The gxd on this machine: whether an address is this machine, and the admin token gxd wrote
//! in its data directory on its first start — used only for a gxd on this machine, so the
//! token is never sent away.

use std::path::PathBuf;

fn host_of(server: &str) -> &str {
    let rest = server.split_once("://").map_or(server, |(_, h)| h);
    let authority = rest.split('/').next().unwrap_or(rest);
    // [::1]:50051 → ::1; 127.0.0.1:50051 → 127.0.0.1; localhost:50051 → localhost
    if let Some(v6) = authority.strip_prefix('[') {
        return v6.split(']').next().unwrap_or(v6);
    }
    authority.rsplit_once(':').map_or(authority, |(h, _)| h)
}

/// Whether `server` is on this machine.
pub fn is_loopback(server: &str) -> bool {
    let host = host_of(server);
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Where gxd on this machine keeps its first admin token: `$GX_DATA/admin.token`, else
/// `<user data dir>/gx/admin.token` (gxd's own defaults).
pub fn admin_token_file() -> Option<PathBuf> {
    let data = match std::env::var_os("GX_DATA") {
        Some(d) => PathBuf::from(d),
        None => dirs::data_dir()?.join("gx"),
    };
    Some(data.join(gx::auth::ADMIN_TOKEN_FILE))
}

/// The admin token of the gxd on this machine, when `server` is on this machine and the
/// file is readable. Never for another machine: the token is not sent away.
pub fn admin_token(server: &str) -> Option<String> {
    if !is_loopback(server) {
        return None;
    }
    let text = std::fs::read_to_string(admin_token_file()?).ok()?;
    let token = text.trim();
    (!token.is_empty()).then(|| token.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_servers_get_the_local_admin_token() {
        for (server, local) in [
            ("http://127.0.0.1:50051", true),
            ("http://127.8.9.1:50051", true),
            ("https://localhost:50051", true),
            ("http://[::1]:50051", true),
            ("http://10.0.0.5:50051", false),
            ("https://gx.county.example:50051", false),
            ("http://[2001:db8::1]:50051", false),
            ("http://127.0.0.1.example:1", false),
        ] {
            assert_eq!(is_loopback(server), local, "{server}");
        }
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("admin.token"), "gx_x\n").unwrap();
        std::env::set_var("GX_DATA", dir.path());
        assert_eq!(admin_token("http://127.0.0.1:1").as_deref(), Some("gx_x"));
        assert_eq!(admin_token("http://192.0.2.1:50051"), None);
        std::env::remove_var("GX_DATA");
    }
}
