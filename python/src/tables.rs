//! Whole ranges (or lists of ids) as Apache Arrow tables, lent through the Arrow
//! PyCapsule interface: pyarrow, polars, DuckDB and any other Arrow consumer import the
//! columns dpa computed without a copy. The columns are computed by dpa's block kernel
//! on a thread pool with the GIL released (`dpa::formats::arrow`).

use std::ffi::CStr;

use arrow_array::ffi::{FFI_ArrowArray, FFI_ArrowSchema};
use arrow_array::ffi_stream::FFI_ArrowArrayStream;
use arrow_array::{Array, RecordBatch, RecordBatchIterator, StructArray};
use dpa::formats::arrow::Columns;
use dpa::{id_range, Seeding};
use pyo3::exceptions::{PyMemoryError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyCapsule, PyTuple};

use crate::arrays::{ids_from_le_bytes, PySeeding};
use crate::{arrays, pool};

const SCHEMA: &CStr = c"arrow_schema";
const ARRAY: &CStr = c"arrow_array";
const STREAM: &CStr = c"arrow_array_stream";

fn arrow_error(e: impl std::fmt::Display) -> PyErr {
    PyValueError::new_err(format!("arrow: {e}"))
}

/// Records as one Arrow record batch, owned here. Every export hands the consumer the
/// same buffers (reference-counted), never a copy; they are never written after the
/// batch is built.
#[pyclass(frozen, module = "dpa_rs._native")]
pub struct Table {
    batch: RecordBatch,
}

#[pymethods]
impl Table {
    /// The rows held.
    fn __len__(&self) -> usize {
        self.batch.num_rows()
    }

    /// The column names, in order.
    #[getter]
    fn column_names(&self) -> Vec<String> {
        let schema = self.batch.schema();
        schema.fields().iter().map(|f| f.name().clone()).collect()
    }

    /// The schema, as an `arrow_schema` capsule (a struct of the columns).
    fn __arrow_c_schema__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyCapsule>> {
        let schema =
            FFI_ArrowSchema::try_from(self.batch.schema().as_ref()).map_err(arrow_error)?;
        PyCapsule::new_with_value(py, schema, SCHEMA)
    }

    /// The rows as one struct array: `(arrow_schema, arrow_array)` capsules. A
    /// requested schema is not applied (the interface lets a producer ignore it).
    #[pyo3(signature = (requested_schema=None))]
    fn __arrow_c_array__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyTuple>> {
        let _ = requested_schema;
        let data = StructArray::from(self.batch.clone()).into_data();
        let (array, schema) = arrow_array::ffi::to_ffi(&data).map_err(arrow_error)?;
        let schema = PyCapsule::new_with_value(py, schema, SCHEMA)?;
        let array = PyCapsule::new_with_value::<FFI_ArrowArray>(py, array, ARRAY)?;
        PyTuple::new(py, [schema.into_any(), array.into_any()])
    }

    /// The rows as a stream of one batch: an `arrow_array_stream` capsule.
    #[pyo3(signature = (requested_schema=None))]
    fn __arrow_c_stream__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        let _ = requested_schema;
        let batches = RecordBatchIterator::new([Ok(self.batch.clone())], self.batch.schema());
        let stream = FFI_ArrowArrayStream::new(Box::new(batches));
        PyCapsule::new_with_value(py, stream, STREAM)
    }

    /// The address of column `name`'s values (the buffer every export lends), so that a
    /// caller can check that a consumer shares it rather than copies it.
    fn buffer_address(&self, name: &str) -> PyResult<usize> {
        let column = self
            .batch
            .column_by_name(name)
            .ok_or_else(|| PyValueError::new_err(format!("no column {name:?}")))?;
        let data = column.to_data();
        let buffer = data
            .buffers()
            .first()
            .ok_or_else(|| PyValueError::new_err(format!("column {name:?} has no buffer")))?;
        Ok(buffer.as_ptr() as usize)
    }
}

fn table(columns: Option<Columns>, rows: usize) -> PyResult<Table> {
    let columns = columns.ok_or_else(|| PyMemoryError::new_err(format!("{rows} rows")))?;
    let batch = columns
        .into_batch(Default::default())
        .map_err(arrow_error)?;
    Ok(Table { batch })
}

/// The records of `first .. first + n` as an Arrow table, on `threads` threads.
#[pyfunction]
#[pyo3(signature = (first, n, config, seeding, threads=None))]
pub fn table_rows(
    py: Python<'_>,
    first: u64,
    n: u64,
    config: Option<&Bound<'_, PyAny>>,
    seeding: PySeeding,
    threads: Option<usize>,
) -> PyResult<Table> {
    let (seeding, g): (Seeding, _) = (seeding.into(), arrays::generator(py, config)?);
    let ids = id_range(first, n).map_err(|e| PyValueError::new_err(e.to_string()))?;
    let engine = pool::engine(threads)?;
    let columns = py.detach(|| Columns::for_range(&engine, &g, seeding, ids));
    table(columns, n as usize)
}

/// The records of `ids` (little-endian `u64`s), in that order, as an Arrow table.
#[pyfunction]
#[pyo3(signature = (ids, config, seeding, threads=None))]
pub fn table_for_ids(
    py: Python<'_>,
    ids: &[u8],
    config: Option<&Bound<'_, PyAny>>,
    seeding: PySeeding,
    threads: Option<usize>,
) -> PyResult<Table> {
    let (seeding, g): (Seeding, _) = (seeding.into(), arrays::generator(py, config)?);
    let ids = ids_from_le_bytes(ids)?;
    let engine = pool::engine(threads)?;
    let columns = py.detach(|| Columns::for_ids(&engine, &g, seeding, &ids));
    table(columns, ids.len())
}
