//! Compiles `proto/` without `protoc`: protox parses the files into a descriptor set, which
//! tonic-prost-build turns into Rust, and which is also written out for server reflection.

use std::{env, path::PathBuf};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=proto");
    let files = [
        "proto/gx/v1/report.proto",
        "proto/gx/v1/service.proto",
        "proto/gx/v1/security.proto",
        "proto/gx/v1/org.proto",
        "proto/gx/v1/watch.proto",
    ];
    let fds = protox::compile(files, ["proto"])?;
    let out = PathBuf::from(env::var("OUT_DIR")?);
    std::fs::write(
        out.join("gx_descriptor.bin"),
        prost::Message::encode_to_vec(&fds),
    )?;
    tonic_prost_build::configure()
        .build_server(true)
        .build_client(true)
        // Decode failures are the caller's bad bytes: INVALID_ARGUMENT, not INTERNAL.
        .codec_path("crate::grpc::codec::Codec")
        .compile_fds(fds)?;
    Ok(())
}
