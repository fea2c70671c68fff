"""The least a function with a pydantic contract imports: one model, its validator built and used
(which loads pydantic's schema machinery: pydantic.types, annotated_types, pydantic_core's schema).
`python -m bench.cold_import` times it beside the functions, as the floor none of them can go under."""

from pydantic import BaseModel


class Floor(BaseModel):
    name: str


Floor.model_validate({"name": "floor"})
