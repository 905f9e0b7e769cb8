from ninja import Router

router = Router(tags=["花名册"])
