-- Learning paths: a track's required courses (必修课) and courses'
-- prerequisites (先修课). A certificate needs the track's sessions and
-- every required course attended.

CREATE TABLE track_courses (
    track_id  BIGINT NOT NULL REFERENCES tracks (id),
    course_id BIGINT NOT NULL REFERENCES courses (id),
    PRIMARY KEY (track_id, course_id)
);
CREATE INDEX track_courses_course ON track_courses (course_id);

CREATE TABLE course_prerequisites (
    course_id   BIGINT NOT NULL REFERENCES courses (id),
    requires_id BIGINT NOT NULL REFERENCES courses (id),
    PRIMARY KEY (course_id, requires_id),
    CHECK (course_id <> requires_id)
);
