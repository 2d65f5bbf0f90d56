//! `version()` as PostgreSQL clients parse it: `PostgreSQL 16.6 (convlake
//! …)`. SQLAlchemy's dialect reads the server version from it
//! (`PostgreSQL (\d+)`); DataFusion's own answers "Apache DataFusion …".

use datafusion::arrow::datatypes::DataType;
use datafusion::common::ScalarValue;
use datafusion::error::Result;
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

/// The version string of the server.
pub fn text() -> String {
    format!(
        "PostgreSQL 16.6 (convlake {}, Apache DataFusion {})",
        env!("CARGO_PKG_VERSION"),
        datafusion::DATAFUSION_VERSION
    )
}

#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Version {
    signature: Signature,
}

impl Version {
    pub fn udf() -> ScalarUDF {
        ScalarUDF::from(Version {
            signature: Signature::nullary(Volatility::Immutable),
        })
    }
}

impl ScalarUDFImpl for Version {
    fn name(&self) -> &str {
        "version"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, _args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        Ok(ColumnarValue::Scalar(ScalarValue::Utf8(Some(text()))))
    }
}
