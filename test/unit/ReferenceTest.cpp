// Placeholder: the reference interpreter's unit tests go here.
#include <gtest/gtest.h>
TEST(Reference, Placeholder) { EXPECT_TRUE(true); }
