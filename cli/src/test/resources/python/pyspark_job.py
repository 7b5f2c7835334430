"""PySpark local[2] job for cprof's cross-language test: the Python UDF spends its time in
score_order (and the helpers it calls), the JVM side sorts the scored rows.
Usage: pyspark_job.py SECONDS   (prints "jvm PID", then "ready" once the first job runs)
"""
import sys
import time

from pyspark.sql import SparkSession
from pyspark.sql.functions import col, udf
from pyspark.sql.types import DoubleType


def discount(x):
    s = 0.0
    for i in range(120):
        s += (x * i) % 13
    return s


def score_order(x):
    s = 0.0
    for i in range(360):
        s += (x ^ i) % 7
    return s + discount(x)


def main():
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 60.0
    spark = (SparkSession.builder.master("local[2]").appName("cprof-pyspark-test")
             .config("spark.ui.enabled", "false")
             .config("spark.sql.shuffle.partitions", "2")
             .config("spark.sql.execution.arrow.pyspark.enabled", "false")
             .getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    print("jvm", spark.sparkContext._jvm.java.lang.ProcessHandle.current().pid(), flush=True)
    score = udf(score_order, DoubleType())
    end = time.time() + seconds
    first = True
    while time.time() < end:
        rows = (spark.range(0, 40000, numPartitions=2)
                .withColumn("score", score(col("id")))
                .orderBy(col("score").desc(), col("id")))
        if first:
            print("ready", flush=True)
            first = False
        rows.write.format("noop").mode("overwrite").save()
        # The JVM's own share: a sort of random doubles, no Python in it.
        (spark.range(0, 600000, numPartitions=2).selectExpr("id", "rand() as r").orderBy("r")
         .write.format("noop").mode("overwrite").save())
    spark.stop()


if __name__ == "__main__":
    main()
