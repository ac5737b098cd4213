"""The procedural generator: the offline default, a CPU scene simulator with exact boxes.

    scene.py       one image: background, clutter, people and objects, occluders, conditions
    appearance.py  how each policy class looks (painter, texture, colours)
    effects.py     what each variable value does to the picture
    painters.py    silhouettes, textures, people
    background.py  background families and clutter
    pool.py        worker processes
    generator.py   ProceduralGenerator (the Generator protocol)
    faults.py      planted label faults for benchmarks (off by default)
    examples.py    a small PPE policy and specs for tests and benchmarks
"""

from .faults import FaultPlan, PlantedFault
from .generator import NOTE, VERSION, ProceduralGenerator, class_table, scenario_decoys

__all__ = ["NOTE", "VERSION", "FaultPlan", "PlantedFault", "ProceduralGenerator", "class_table",
           "scenario_decoys"]
