//! Everything that knows the wire: the gRPC services over the library, their conversions
//! and error map, and the server that runs them.

pub mod codec;
pub mod convert;
pub mod layers;
pub mod limits;
pub mod orgs;
pub mod reports;
pub mod server;
pub mod status;
pub mod tokens;
