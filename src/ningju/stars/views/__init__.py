"""Pages of the five-star campaign: creation and awarding (``creation``), supervision (``supervision``)."""
