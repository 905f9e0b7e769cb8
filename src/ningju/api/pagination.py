from typing import Any

from django.core.paginator import Paginator
from ninja import Field, Schema
from ninja.pagination import PaginationBase


class PagePagination(PaginationBase):
    """``?page=1&page_size=50``; answers ``{items, count, page, page_size, pages}``."""

    class Input(Schema):
        page: int = Field(1, ge=1, le=100000)
        page_size: int = Field(50, ge=1, le=200)

    class Output(Schema):
        items: list[Any]
        count: int
        page: int
        page_size: int
        pages: int

    items_attribute = "items"

    def paginate_queryset(self, queryset, pagination: Input, **params):
        paginator = Paginator(queryset, pagination.page_size)
        page_number = min(pagination.page, max(paginator.num_pages, 1))
        page = paginator.page(page_number)
        return {"items": list(page.object_list), "count": paginator.count, "page": page_number,
                "page_size": pagination.page_size, "pages": paginator.num_pages}
