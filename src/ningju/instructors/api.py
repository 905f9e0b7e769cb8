from ninja import Router

router = Router(tags=["党建指导员"])
