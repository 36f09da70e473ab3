//! What a newcomer sees of the contracts from outside: each port lists through reflection
//! only the service served there (with health and reflection), and every event field that
//! holds a vocabulary value is an enum, not a string.

use complaints_service::Service as Complaints;
use contact_service::Service as Contact;
use prost::Message;
use prost_types::{DescriptorProto, FileDescriptorSet, field_descriptor_proto::Type};
use scheduling_service::Service as Scheduling;
use service_kit::service::Spec;
use test_support::{Backend, TestService, World, reflected_services};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_port_lists_only_its_own_service() {
    let world = World::new(Backend::Sqlite);
    let mut scheduling = TestService::<Scheduling>::start(&world, |_| {}).await;
    let mut complaints = TestService::<Complaints>::start(&world, |s| {
        s.scheduling.endpoint = scheduling.endpoint();
        s.scheduling.follow_events = false;
        s.contact.follow_events = false;
    })
    .await;
    let mut contact = TestService::<Contact>::start(&world, |s| {
        s.scheduling.endpoint = scheduling.endpoint();
        s.scheduling.follow_events = false;
        s.complaints.follow_events = false;
    })
    .await;
    let infrastructure = [
        "grpc.health.v1.Health",
        "grpc.reflection.v1.ServerReflection",
        "grpc.reflection.v1alpha.ServerReflection",
    ];
    for (own, channel) in [
        (Scheduling::GRPC_NAME, scheduling.channel()),
        (Contact::GRPC_NAME, contact.channel()),
        (Complaints::GRPC_NAME, complaints.channel()),
    ] {
        let mut listed = reflected_services(channel).await;
        listed.sort();
        let mut expected: Vec<String> = infrastructure
            .iter()
            .chain([&own])
            .map(|s| s.to_string())
            .collect();
        expected.sort();
        assert_eq!(listed, expected, "on the port of {own}");
    }
    contact.stop().await;
    complaints.stop().await;
    scheduling.stop().await;
}

/// Fields whose name says they carry a vocabulary value (a kind, a status, a level…).
const VOCABULARY: [&str; 10] = [
    "kind", "category", "severity", "channel", "status", "level", "reason", "deadline", "outcome",
    "delivery",
];

fn vocabulary_field(name: &str) -> bool {
    name.split('_').any(|word| VOCABULARY.contains(&word)) || ["from", "to"].contains(&name)
}

fn strings_holding_vocabulary(prefix: &str, message: &DescriptorProto, out: &mut Vec<String>) {
    let path = format!("{prefix}.{}", message.name());
    for field in &message.field {
        if field.r#type() == Type::String && vocabulary_field(field.name()) {
            out.push(format!("{path}.{}", field.name()));
        }
    }
    for nested in &message.nested_type {
        strings_holding_vocabulary(&path, nested, out);
    }
}

#[test]
fn every_event_field_holding_a_vocabulary_value_is_an_enum() {
    let set = FileDescriptorSet::decode(hospital_proto::FILE_DESCRIPTOR_SET).unwrap();
    let event_files: Vec<_> = set
        .file
        .iter()
        .filter(|f| f.name().ends_with("/events.proto"))
        .collect();
    assert!(
        event_files.len() >= 2,
        "the events contracts are in the set"
    );
    let mut strings = Vec::new();
    let mut enums = 0;
    for file in event_files {
        for message in &file.message_type {
            strings_holding_vocabulary(file.package(), message, &mut strings);
            enums += message
                .field
                .iter()
                .filter(|f| f.r#type() == Type::Enum)
                .count();
        }
    }
    assert!(
        strings.is_empty(),
        "vocabulary carried as strings: {strings:?}"
    );
    assert!(
        enums >= 10,
        "the event vocabulary is typed ({enums} enum fields)"
    );
}
