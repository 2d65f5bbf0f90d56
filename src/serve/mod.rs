//! `convlake serve`: the lake's views for BI tools over the PostgreSQL
//! wire. `session.rs` owns who a client is and what it may do, for every
//! protocol; `postgres.rs` translates it to the wire; `server.rs` listens;
//! `users.rs` is the users file.

pub mod current_setting;
pub mod postgres;
pub mod server;
pub mod session;
pub mod to_regtype;
pub mod users;
pub mod version;
