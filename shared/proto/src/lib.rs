//! The hospital suite's protobuf contracts, generated from `proto/` at build time.
//!
//! Each package is a module (`hospital::scheduling::v1`); [`FILE_DESCRIPTOR_SET`] holds
//! every package's descriptors for gRPC reflection. Client and server stubs sit behind the
//! `client` and `server` features (both on by default).

#![allow(clippy::large_enum_variant, clippy::doc_lazy_continuation)]

/// The generated packages, laid out as in `proto/`.
pub mod hospital {
    /// Value types shared by several services.
    pub mod common {
        /// Version 1 of the common types.
        pub mod v1 {
            tonic::include_proto!("hospital.common.v1");
        }
    }
    /// The complaints service's API and events.
    pub mod complaints {
        /// Version 1 of the complaints API.
        pub mod v1 {
            tonic::include_proto!("hospital.complaints.v1");
        }
    }
    /// The contact service's API and events.
    pub mod contact {
        /// Version 1 of the contact API.
        pub mod v1 {
            tonic::include_proto!("hospital.contact.v1");
        }
    }
    /// The scheduling service's API and events.
    pub mod scheduling {
        /// Version 1 of the scheduling API.
        pub mod v1 {
            tonic::include_proto!("hospital.scheduling.v1");
        }
    }
}

pub use hospital::common::v1 as common;
pub use hospital::complaints::v1 as complaints;
pub use hospital::contact::v1 as contact;
pub use hospital::scheduling::v1 as scheduling;

/// Encoded `FileDescriptorSet` of every package, for `tonic-reflection`.
pub const FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("hospital_descriptor");
