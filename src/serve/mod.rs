//! `convlake serve`: the lake's views for BI tools over the PostgreSQL
//! wire. `session.rs` owns who a client is and what it may do, for every
//! protocol; `postgres.rs` translates it to the wire; `server.rs` listens;
//! `flight.rs` serves Arrow Flight SQL over the same session layer;
//! `users.rs` is the users file.

pub mod current_setting;
pub mod flight;
pub mod pg_data_type;
pub mod pg_type_is_visible;
pub mod postgres;
pub mod rewrite;
pub mod server;
pub mod session;
pub mod session_user;
pub mod to_regtype;
pub mod users;
pub mod version;
