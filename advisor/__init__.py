"""The advisor: a cost-performance advisor for GPU notebook platforms (Colab, Gradient, Kaggle, Studio Lab, ...)."""
from ._version import __version__
from .catalog import Catalog, Plan, load_catalog
from .errors import AdvisorError, CatalogError, InvalidWorkloadError, UnknownGpuError, UnknownPlanError
from .recommend import Recommendation, recommend
from .workload import Workload

__all__ = ["AdvisorError", "Catalog", "CatalogError", "InvalidWorkloadError", "Plan", "Recommendation",
           "UnknownGpuError", "UnknownPlanError", "Workload", "__version__", "load_catalog", "recommend"]
