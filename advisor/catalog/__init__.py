"""The catalog in data/: plans, GPUs, prices, limits, availability and benchmark evidence, validated and resolved
as of a date. `load_catalog(as_of)` is the entry point; the records document every field's unit."""
from .as_of import Catalog, allocation_on, catalog_is_built, load_catalog, parse_date, resolve_fact
from .load import DATA_DIR, DATA_FILES, RawCatalog, load_raw
from .records import (
                      AvailabilityObservation,
                      Evidence,
                      Fact,
                      Gpu,
                      GpuOption,
                      Observation,
                      Plan,
                      Provenance,
                      Rate,
                      gpu_name_key,
)

__all__ = ["AvailabilityObservation", "Catalog", "DATA_DIR", "DATA_FILES", "Evidence", "Fact", "Gpu", "GpuOption",
           "Observation", "Plan", "Provenance", "Rate", "RawCatalog", "allocation_on", "catalog_is_built",
           "gpu_name_key", "load_catalog", "load_raw", "parse_date", "resolve_fact"]
