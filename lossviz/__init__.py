"""lossviz: see how optimizers move over loss surfaces, live, in Jupyter."""
from lossviz.surfaces import Surface, surface, surface_names
