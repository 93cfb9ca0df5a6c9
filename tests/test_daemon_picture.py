"""The picture of a sensor tick (docs/images/daemon_tick.png) is what its script draws."""

import matplotlib.image
import numpy as np
import repo_scripts

picture = repo_scripts.load("draw_daemon_picture")


def test_the_script_redraws_the_committed_picture(tmp_path):
    drawn = picture.draw(tmp_path / "daemon_tick.png")
    committed = matplotlib.image.imread(picture.OUTPUT)
    assert np.array_equal(matplotlib.image.imread(drawn), committed), (
        "docs/images/daemon_tick.png is not what scripts/draw_daemon_picture.py draws: run the script and commit"
    )


def test_every_message_joins_two_parts_and_is_numbered_in_order():
    parts = range(len(picture.PARTS))
    assert all(source in parts and target in parts and source != target for source, target, *_ in picture.MESSAGES)
    # The tick starts and ends with the daemon's own calls before the runs go out.
    assert picture.MESSAGES[0][0] == picture.DAEMON and picture.MESSAGES[-1][1] == picture.INSTANCE
