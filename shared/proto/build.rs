//! Generates the Rust code for every package under `proto/` with a vendored `protoc`, so a
//! fresh machine needs nothing installed. `PROTOC` overrides the vendored binary.

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Read at run time, not with `env!`: a compiled build script can be reused by another
    // checkout of the workspace (a worktree sharing this target folder).
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?).join("../../proto");
    let protos = [
        "hospital/common/v1/common.proto",
        "hospital/complaints/v1/complaints.proto",
        "hospital/complaints/v1/events.proto",
        "hospital/contact/v1/contact.proto",
        "hospital/contact/v1/events.proto",
        "hospital/scheduling/v1/events.proto",
        "hospital/scheduling/v1/scheduling.proto",
    ];
    let protos: Vec<PathBuf> = protos.iter().map(|p| root.join(p)).collect();

    let protoc = match std::env::var_os("PROTOC") {
        Some(path) => PathBuf::from(path),
        None => protoc_bin_vendored::protoc_bin_path()?,
    };
    let well_known = protoc_bin_vendored::include_path()?;
    println!("cargo:rerun-if-env-changed=PROTOC");
    println!("cargo:rerun-if-changed={}", root.display());

    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    let mut config = tonic_prost_build::Config::new();
    config.protoc_executable(protoc);

    tonic_prost_build::configure()
        .build_client(cfg!(feature = "client"))
        .build_server(cfg!(feature = "server"))
        .file_descriptor_set_path(out_dir.join("hospital_descriptor.bin"))
        .compile_with_config(config, &protos, &[root, well_known])?;
    Ok(())
}
