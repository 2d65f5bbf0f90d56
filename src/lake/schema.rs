//! The event schema of SPEC.md §1.1 and the checks a file's schema must pass.
//!
//! Writers differ, so a file may store a string column as Utf8, LargeUtf8,
//! Utf8View or dictionary-encoded, and `ts` in any unit as long as it has a
//! time zone. The table convlake registers always has the canonical types
//! below; each file is read through a cast to them.

use std::sync::{Arc, LazyLock};

use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};

use crate::error::{Error, Result};

/// Canonical string type of the registered tables (DataFusion reads Parquet
/// strings as views by default, and its string kernels are fastest on them).
pub const STRING: DataType = DataType::Utf8View;

/// The time zone every `ts` is normalised to.
pub const UTC: &str = "UTC";

/// The event types of SPEC.md §1.2.
pub const EVENT_TYPES: [&str; 5] = [
    "conversation_opened",
    "conversation_closed",
    "assignee_changed",
    "message",
    "handover",
];

/// One column of SPEC.md §1.1: its name and whether it may be null.
#[derive(Debug, Clone, Copy)]
pub struct EventColumn {
    pub name: &'static str,
    pub required: bool,
}

/// The columns of `events`, in the order of SPEC.md §1.1.
pub const EVENT_COLUMNS: [EventColumn; 19] = [
    EventColumn {
        name: "event_id",
        required: true,
    },
    EventColumn {
        name: "ts",
        required: true,
    },
    EventColumn {
        name: "workspace_id",
        required: true,
    },
    EventColumn {
        name: "conversation_id",
        required: true,
    },
    EventColumn {
        name: "contact_id",
        required: true,
    },
    EventColumn {
        name: "event_type",
        required: true,
    },
    EventColumn {
        name: "channel_id",
        required: false,
    },
    EventColumn {
        name: "source",
        required: false,
    },
    EventColumn {
        name: "source_detail",
        required: false,
    },
    EventColumn {
        name: "actor_user_id",
        required: false,
    },
    EventColumn {
        name: "team_id",
        required: false,
    },
    EventColumn {
        name: "assignee_user_id",
        required: false,
    },
    EventColumn {
        name: "message_id",
        required: false,
    },
    EventColumn {
        name: "direction",
        required: false,
    },
    EventColumn {
        name: "sender_type",
        required: false,
    },
    EventColumn {
        name: "category",
        required: false,
    },
    EventColumn {
        name: "summary",
        required: false,
    },
    EventColumn {
        name: "handover_status",
        required: false,
    },
    EventColumn {
        name: "establishment_id",
        required: false,
    },
];

/// The type of `ts` in the registered table.
pub fn ts_type() -> DataType {
    DataType::Timestamp(TimeUnit::Microsecond, Some(UTC.into()))
}

/// The registered `events` schema (canonical types, file columns only).
pub fn events_schema() -> SchemaRef {
    static SCHEMA: LazyLock<SchemaRef> = LazyLock::new(|| {
        Arc::new(Schema::new(
            EVENT_COLUMNS
                .iter()
                .map(|c| {
                    let ty = if c.name == "ts" { ts_type() } else { STRING };
                    Field::new(c.name, ty, !c.required)
                })
                .collect::<Vec<_>>(),
        ))
    });
    SCHEMA.clone()
}

/// The schema the generator writes: plain Utf8 strings (the most portable
/// Parquet type), `event_type` dictionary-encoded, `ts` in UTC microseconds.
pub fn events_file_schema() -> SchemaRef {
    Arc::new(Schema::new(
        EVENT_COLUMNS
            .iter()
            .map(|c| {
                let ty = match c.name {
                    "ts" => ts_type(),
                    _ => DataType::Utf8,
                };
                Field::new(c.name, ty, !c.required)
            })
            .collect::<Vec<_>>(),
    ))
}

/// Column kinds of the dimension tables (SPEC.md §1.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Str,
    Ts,
}

/// A dimension table of SPEC.md §1.3: its name and columns (the first is
/// its key). Files may lack any column but the key; missing ones read as
/// NULL, so views can always join the dimension.
#[derive(Debug, Clone, Copy)]
pub struct Dimension {
    pub name: &'static str,
    pub columns: &'static [(&'static str, Kind)],
}

impl Dimension {
    /// The key column (`contact_id`, `user_id`, ...).
    pub fn key(&self) -> &'static str {
        self.columns[0].0
    }

    /// The registered schema: canonical types, every column nullable but the key.
    pub fn schema(&self) -> SchemaRef {
        Arc::new(Schema::new(
            self.columns
                .iter()
                .enumerate()
                .map(|(i, (name, kind))| {
                    let ty = match kind {
                        Kind::Str => STRING,
                        Kind::Ts => ts_type(),
                    };
                    Field::new(*name, ty, i != 0)
                })
                .collect::<Vec<_>>(),
        ))
    }

    /// The same schema with plain Utf8 strings, as the generator writes it.
    pub fn file_schema(&self) -> SchemaRef {
        Arc::new(Schema::new(
            self.schema()
                .fields()
                .iter()
                .map(|f| match f.data_type() {
                    DataType::Utf8View => Field::new(f.name(), DataType::Utf8, f.is_nullable()),
                    _ => f.as_ref().clone(),
                })
                .collect::<Vec<_>>(),
        ))
    }

    /// Checks that a file's schema can be read as this dimension.
    pub fn check_schema(&self, file: &str, schema: &Schema) -> Result<()> {
        for (i, (name, kind)) in self.columns.iter().enumerate() {
            match schema.field_with_name(name) {
                Err(_) if i == 0 => {
                    return Err(Error::MissingColumn {
                        file: file.to_string(),
                        column: name.to_string(),
                        expected: expected_kind(*kind).to_string(),
                    });
                }
                Err(_) => {}
                Ok(field) => check_kind(file, name, *kind, field.data_type())?,
            }
        }
        Ok(())
    }
}

use Kind::{Str, Ts};

/// The optional dimension tables of SPEC.md §1.3.
pub const DIMENSIONS: [Dimension; 6] = [
    Dimension {
        name: "contacts",
        columns: &[
            ("contact_id", Str),
            ("workspace_id", Str),
            ("name", Str),
            ("created_at", Ts),
            ("first_conversation_at", Ts),
            ("establishment_id", Str),
        ],
    },
    Dimension {
        name: "users",
        columns: &[
            ("user_id", Str),
            ("workspace_id", Str),
            ("name", Str),
            ("team_id", Str),
        ],
    },
    Dimension {
        name: "teams",
        columns: &[("team_id", Str), ("workspace_id", Str), ("name", Str)],
    },
    Dimension {
        name: "channels",
        columns: &[
            ("channel_id", Str),
            ("workspace_id", Str),
            ("name", Str),
            ("channel_type", Str),
            ("platform", Str),
        ],
    },
    Dimension {
        name: "establishments",
        columns: &[
            ("establishment_id", Str),
            ("workspace_id", Str),
            ("name", Str),
            ("region", Str),
            ("sector", Str),
            ("country", Str),
        ],
    },
    Dimension {
        name: "workspaces",
        columns: &[
            ("workspace_id", Str),
            ("name", Str),
            ("timezone", Str),
            ("business_hours", Str),
        ],
    },
];

/// True for the string encodings writers use.
pub fn is_string(ty: &DataType) -> bool {
    match ty {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => true,
        DataType::Dictionary(_, value) => is_string(value),
        _ => false,
    }
}

/// Checks that a file's Arrow schema can be read as `events`.
///
/// Required columns must be present; every SPEC.md column present must have
/// a readable type; unknown columns are accepted (they are ignored).
pub fn check_events_schema(file: &str, schema: &Schema) -> Result<()> {
    for column in EVENT_COLUMNS {
        let kind = if column.name == "ts" {
            Kind::Ts
        } else {
            Kind::Str
        };
        match schema.field_with_name(column.name) {
            Err(_) if column.required => {
                return Err(Error::MissingColumn {
                    file: file.to_string(),
                    column: column.name.to_string(),
                    expected: expected_kind(kind).to_string(),
                });
            }
            Err(_) => {}
            Ok(field) => check_kind(file, column.name, kind, field.data_type())?,
        }
    }
    Ok(())
}

pub(crate) fn expected_kind(kind: Kind) -> &'static str {
    match kind {
        Kind::Ts => "Timestamp with a time zone (s, ms, µs or ns)",
        Kind::Str => "Utf8 (or LargeUtf8, Utf8View, dictionary of strings)",
    }
}

pub(crate) fn check_kind(file: &str, column: &str, kind: Kind, found: &DataType) -> Result<()> {
    let ok = match (kind, found) {
        (Kind::Ts, DataType::Timestamp(_, Some(_))) => true,
        (Kind::Ts, DataType::Timestamp(_, None)) => {
            return Err(Error::TimestampWithoutTimeZone {
                file: file.to_string(),
                column: column.to_string(),
                found: found.clone(),
            });
        }
        (Kind::Ts, _) => false,
        (Kind::Str, ty) => is_string(ty),
    };
    if ok {
        Ok(())
    } else {
        Err(Error::ColumnType {
            file: file.to_string(),
            column: column.to_string(),
            expected: expected_kind(kind).to_string(),
            found: found.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema_with(column: &str, ty: DataType) -> Schema {
        let mut fields: Vec<Field> = events_file_schema()
            .fields()
            .iter()
            .map(|f| f.as_ref().clone())
            .collect();
        for f in fields.iter_mut() {
            if f.name() == column {
                *f = Field::new(column, ty.clone(), true);
            }
        }
        Schema::new(fields)
    }

    #[test]
    fn accepts_every_string_encoding_and_timestamp_unit() {
        for ty in [
            DataType::Utf8,
            DataType::LargeUtf8,
            DataType::Utf8View,
            DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8)),
        ] {
            check_events_schema("f", &schema_with("event_type", ty)).unwrap();
        }
        for unit in [
            TimeUnit::Second,
            TimeUnit::Millisecond,
            TimeUnit::Microsecond,
            TimeUnit::Nanosecond,
        ] {
            let ty = DataType::Timestamp(unit, Some("Europe/Paris".into()));
            check_events_schema("f", &schema_with("ts", ty)).unwrap();
        }
    }

    #[test]
    fn names_file_column_and_types() {
        let err = check_events_schema("a.parquet", &schema_with("contact_id", DataType::Int64))
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "file 'a.parquet': column 'contact_id' has type Int64, expected Utf8 (or LargeUtf8, \
             Utf8View, dictionary of strings)"
        );
        let naive = DataType::Timestamp(TimeUnit::Microsecond, None);
        let err = check_events_schema("a.parquet", &schema_with("ts", naive)).unwrap_err();
        assert!(
            matches!(err, Error::TimestampWithoutTimeZone { .. }),
            "{err}"
        );
    }

    #[test]
    fn missing_required_column_is_an_error_extra_columns_are_not() {
        let mut fields: Vec<Field> = events_file_schema()
            .fields()
            .iter()
            .filter(|f| f.name() != "conversation_id")
            .map(|f| f.as_ref().clone())
            .collect();
        fields.push(Field::new("ingested_by", DataType::Int32, true));
        let err = check_events_schema("b.parquet", &Schema::new(fields.clone())).unwrap_err();
        assert!(
            err.to_string()
                .contains("required column 'conversation_id'"),
            "{err}"
        );

        // Optional columns may be absent, unknown ones present.
        let fields: Vec<Field> = fields
            .into_iter()
            .filter(|f| f.name() != "summary")
            .collect();
        let mut with_conv = fields;
        with_conv.push(Field::new("conversation_id", DataType::Utf8, false));
        check_events_schema("b.parquet", &Schema::new(with_conv)).unwrap();
    }
}
