//! `pg_type_is_visible(oid)`: whether a type is on the search path. Every
//! type of this server is (there is one schema of tables and pg_catalog);
//! SQLAlchemy's column listing asks it of the domains it looks up.

use datafusion::arrow::array::{Array, BooleanArray};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::ScalarValue;
use datafusion::error::Result;
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, TypeSignature,
    Volatility,
};

#[derive(Debug, PartialEq, Eq, Hash)]
pub struct PgTypeIsVisible {
    signature: Signature,
}

impl PgTypeIsVisible {
    pub fn udf() -> ScalarUDF {
        ScalarUDF::from(PgTypeIsVisible {
            signature: Signature::new(TypeSignature::Any(1), Volatility::Stable),
        })
    }
}

impl ScalarUDFImpl for PgTypeIsVisible {
    fn name(&self) -> &str {
        "pg_type_is_visible"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Boolean)
    }

    /// True for every type, NULL for a NULL oid, as PostgreSQL answers.
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        Ok(match &args.args[0] {
            ColumnarValue::Scalar(oid) => {
                ColumnarValue::Scalar(ScalarValue::Boolean((!oid.is_null()).then_some(true)))
            }
            ColumnarValue::Array(oids) => ColumnarValue::Array(std::sync::Arc::new(
                (0..oids.len())
                    .map(|i| oids.is_valid(i).then_some(true))
                    .collect::<BooleanArray>(),
            )),
        })
    }
}
