//! `to_regtype(name)`: a built-in type's OID, NULL for any other name, as
//! PostgreSQL answers a type that does not exist. psycopg (and so
//! SQLAlchemy, on connect) looks types such as `hstore` up with it.

use datafusion::arrow::array::{Array, AsArray, Int32Builder};
use datafusion::arrow::datatypes::DataType;
use datafusion::error::Result;
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

#[derive(Debug, PartialEq, Eq, Hash)]
pub struct ToRegtype {
    signature: Signature,
}

impl ToRegtype {
    pub fn udf() -> ScalarUDF {
        ScalarUDF::from(ToRegtype {
            signature: Signature::exact(vec![DataType::Utf8], Volatility::Immutable),
        })
    }
}

/// The OIDs of the types convlake's columns have, by their names.
fn oid(name: &str) -> Option<i32> {
    Some(match name.trim().to_ascii_lowercase().as_str() {
        "bool" | "boolean" => 16,
        "bytea" => 17,
        "int8" | "bigint" => 20,
        "int2" | "smallint" => 21,
        "int4" | "integer" | "int" => 23,
        "text" => 25,
        "oid" => 26,
        "json" => 114,
        "float4" | "real" => 700,
        "float8" | "double precision" => 701,
        "varchar" | "character varying" => 1043,
        "date" => 1082,
        "time" => 1083,
        "timestamp" => 1114,
        "timestamptz" | "timestamp with time zone" => 1184,
        "interval" => 1186,
        "numeric" => 1700,
        "uuid" => 2950,
        "jsonb" => 3802,
        _ => return None,
    })
}

impl ScalarUDFImpl for ToRegtype {
    fn name(&self) -> &str {
        "to_regtype"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Int32)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let names = args.args[0].to_array(args.number_rows)?;
        let names = names.as_string::<i32>();
        let mut out = Int32Builder::with_capacity(names.len());
        for i in 0..names.len() {
            out.append_option(names.is_valid(i).then(|| oid(names.value(i))).flatten());
        }
        Ok(ColumnarValue::Array(std::sync::Arc::new(out.finish())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_types_and_no_others() {
        assert_eq!(oid("timestamptz"), Some(1184));
        assert_eq!(oid("INT8"), Some(20));
        assert_eq!(oid("hstore"), None);
    }
}
