//! `pg_data_type(arrow_type)`: a column's type as PostgreSQL's
//! `information_schema.columns.data_type` names it (`bigint`, `text`,
//! `timestamp with time zone`, `ARRAY`, ...), from the Arrow type that
//! DataFusion's `information_schema` gives (`Int64`, `Utf8View`, ...).
//! Tools that build queries from that column (Grafana) then know which
//! columns are times and numbers. The serve rewrite puts it in place.

use std::str::FromStr;

use datafusion::arrow::array::{Array, AsArray, StringArray};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::ScalarValue;
use datafusion::error::Result;
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

#[derive(Debug, PartialEq, Eq, Hash)]
pub struct PgDataType {
    signature: Signature,
}

impl PgDataType {
    pub fn udf() -> ScalarUDF {
        ScalarUDF::from(PgDataType {
            signature: Signature::string(1, Volatility::Immutable),
        })
    }
}

/// The SQL-standard name PostgreSQL gives the type an Arrow type is sent as.
pub fn sql_name(arrow: &str) -> String {
    let Ok(data_type) = DataType::from_str(arrow) else {
        return arrow.to_string();
    };
    match data_type {
        DataType::Boolean => "boolean",
        DataType::Int8 | DataType::Int16 | DataType::UInt8 => "smallint",
        DataType::Int32 | DataType::UInt16 => "integer",
        DataType::Int64 | DataType::UInt32 | DataType::UInt64 => "bigint",
        DataType::Float16 | DataType::Float32 => "real",
        DataType::Float64 => "double precision",
        DataType::Decimal32(..)
        | DataType::Decimal64(..)
        | DataType::Decimal128(..)
        | DataType::Decimal256(..) => "numeric",
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => "text",
        DataType::Binary
        | DataType::LargeBinary
        | DataType::BinaryView
        | DataType::FixedSizeBinary(_) => "bytea",
        DataType::Date32 | DataType::Date64 => "date",
        DataType::Time32(_) | DataType::Time64(_) => "time without time zone",
        DataType::Timestamp(_, Some(_)) => "timestamp with time zone",
        DataType::Timestamp(_, None) => "timestamp without time zone",
        DataType::Interval(_) | DataType::Duration(_) => "interval",
        DataType::List(_)
        | DataType::LargeList(_)
        | DataType::ListView(_)
        | DataType::LargeListView(_)
        | DataType::FixedSizeList(..) => "ARRAY",
        DataType::Dictionary(_, value) => return sql_name(&value.to_string()),
        _ => "USER-DEFINED",
    }
    .to_string()
}

impl ScalarUDFImpl for PgDataType {
    fn name(&self) -> &str {
        "pg_data_type"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let names = datafusion::arrow::compute::cast(&arrays[0], &DataType::Utf8)?;
        let names = names.as_string::<i32>();
        let out: StringArray = (0..names.len())
            .map(|i| names.is_valid(i).then(|| sql_name(names.value(i))))
            .collect();
        Ok(match &args.args[0] {
            ColumnarValue::Scalar(_) => {
                ColumnarValue::Scalar(ScalarValue::try_from_array(&out, 0)?)
            }
            ColumnarValue::Array(_) => ColumnarValue::Array(std::sync::Arc::new(out)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrow_types_as_postgresql_names_them() {
        let utc = DataType::Timestamp(
            datafusion::arrow::datatypes::TimeUnit::Microsecond,
            Some("UTC".into()),
        );
        let list = DataType::new_list(DataType::Utf8View, true);
        for (arrow, name) in [
            (DataType::Int64.to_string(), "bigint"),
            (DataType::Float64.to_string(), "double precision"),
            (DataType::Boolean.to_string(), "boolean"),
            (DataType::Utf8View.to_string(), "text"),
            (utc.to_string(), "timestamp with time zone"),
            (list.to_string(), "ARRAY"),
            ("not a type".to_string(), "not a type"),
        ] {
            assert_eq!(sql_name(&arrow), name, "{arrow}");
        }
    }
}
