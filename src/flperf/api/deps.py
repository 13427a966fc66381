"""What routes receive: the server's services and the common paging parameters."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request

from flperf.service import Services


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]
LogLimit = Annotated[int, Query(ge=1, le=10_000, description="Log records to return")]
Offset = Annotated[int, Query(ge=0, le=1_000_000_000, description="Items to skip")]
