"""Where models come from and how they are served: providers registered by name.

``foundry`` (Foundry Local through its SDK, one host process per started model) and ``openai``
(a server the user runs). Importing this package does not import the Foundry Local SDK.
"""

from __future__ import annotations

from flperf.providers.catalog_model import CatalogListing, CatalogModel, ModelSource
from flperf.providers.errors import (
    DownloadCancelledError,
    EndpointUnreachableError,
    ModelAlreadyRegisteredError,
    ModelFolderError,
    ModelNotDownloadedError,
    ModelNotFoundError,
    ProviderError,
    ProviderUnavailableError,
    UnknownProviderError,
)
from flperf.providers.foundry import FoundryProvider
from flperf.providers.local_models import DEMO_ALIAS, DEMO_MODEL_ID, validate_model_folder
from flperf.providers.openai import EndpointInfo, OpenAIProvider, probe_endpoint
from flperf.providers.registry import (
    HealthReport,
    ModelTarget,
    Provider,
    ServedModel,
    provider_class,
    provider_names,
    register_provider,
)

__all__ = [
    "DEMO_ALIAS",
    "DEMO_MODEL_ID",
    "CatalogListing",
    "CatalogModel",
    "DownloadCancelledError",
    "EndpointInfo",
    "EndpointUnreachableError",
    "FoundryProvider",
    "HealthReport",
    "ModelAlreadyRegisteredError",
    "ModelFolderError",
    "ModelNotDownloadedError",
    "ModelNotFoundError",
    "ModelSource",
    "ModelTarget",
    "OpenAIProvider",
    "Provider",
    "ProviderError",
    "ProviderUnavailableError",
    "ServedModel",
    "UnknownProviderError",
    "probe_endpoint",
    "provider_class",
    "provider_names",
    "register_provider",
    "validate_model_folder",
]
