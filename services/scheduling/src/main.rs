//! `scheduling serve` (the default) and `scheduling migrate`; see `--help`.

fn main() -> anyhow::Result<()> {
    service_kit::service::main::<scheduling_service::Service>()
}
