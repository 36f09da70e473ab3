//! The PostgreSQL and SQLite migrations build the same tables, columns, keys and indexes.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_dialects_build_the_same_schema() {
    test_support::schema::assert_service_dialects_agree::<contact_service::Service>().await;
}
