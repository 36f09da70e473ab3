//! `complaints serve` (the default) and `complaints migrate`; see `--help`.

fn main() -> anyhow::Result<()> {
    service_kit::service::main::<complaints_service::Service>()
}
