//! `contact serve` (the default) and `contact migrate`; see `--help`.

fn main() -> anyhow::Result<()> {
    service_kit::service::main::<contact_service::Service>()
}
