"""Follows TensorFlow's tutorial "Save and load models" (tensorflow/docs
site/en/tutorials/keras/save_and_load.ipynb): the same Keras calls in the same order, only the
imports changed (``tf.keras.X`` is written ``keras.X``; the ``# keras:`` comments give Keras's
imports, which ``runner.py --keras`` puts back). Left out: the SavedModel section
(``tf.saved_model``, TensorFlow's own format) and the notebook's shell lines (``!ls``).

Cut for CI: the tutorial's 1,000 training and test images become 500; its epochs (10, 50, 5,
5) become 2, 10, 1, 1, and the checkpoint every 5 epochs stays.  MNIST is not on this machine,
so Fashion-MNIST stands in (the same shapes).
"""
import math
import os

import minicnn as keras                    # keras: from tensorflow import keras

(train_images, train_labels), (test_images, test_labels) = keras.datasets.fashion_mnist.load_data()

train_labels = train_labels[:500]
test_labels = test_labels[:500]

train_images = train_images[:500].reshape(-1, 28 * 28) / 255.0
test_images = test_images[:500].reshape(-1, 28 * 28) / 255.0


def create_model():
    model = keras.Sequential([
        keras.layers.Dense(512, activation='relu', input_shape=(784,)),
        keras.layers.Dropout(0.2),
        keras.layers.Dense(10)
    ])
    model.compile(optimizer='adam',
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=[keras.metrics.SparseCategoricalAccuracy()])
    return model


model = create_model()
model.summary()

checkpoint_path = "training_1/cp.weights.h5"
checkpoint_dir = os.path.dirname(checkpoint_path)
cp_callback = keras.callbacks.ModelCheckpoint(filepath=checkpoint_path,
                                              save_weights_only=True,
                                              verbose=1)
history = model.fit(train_images,
                    train_labels,
                    epochs=2,
                    validation_data=(test_images, test_labels),
                    callbacks=[cp_callback])
listed = {"training_1": sorted(os.listdir(checkpoint_dir))}

model = create_model()
loss, acc = model.evaluate(test_images, test_labels, verbose=2)
print("Untrained model, accuracy: {:5.2f}%".format(100 * acc))
model.load_weights(checkpoint_path)
loss, acc = model.evaluate(test_images, test_labels, verbose=2)
print("Restored model, accuracy: {:5.2f}%".format(100 * acc))
restored_accuracy = acc

checkpoint_path = "training_2/cp-{epoch:04d}.weights.h5"
checkpoint_dir = os.path.dirname(checkpoint_path)
os.mkdir(checkpoint_dir)
batch_size = 32
n_batches = len(train_images) / batch_size
n_batches = math.ceil(n_batches)
cp_callback = keras.callbacks.ModelCheckpoint(
    filepath=checkpoint_path,
    verbose=1,
    save_weights_only=True,
    save_freq=5 * n_batches)
model = create_model()
model.save_weights(checkpoint_path.format(epoch=0))
model.fit(train_images,
          train_labels,
          epochs=10,
          batch_size=batch_size,
          callbacks=[cp_callback],
          validation_data=(test_images, test_labels),
          verbose=0)
listed["training_2"] = sorted(os.listdir(checkpoint_dir))


def load_latest_checkpoint(checkpoint_dir):
    latest = max(os.listdir(checkpoint_dir), key=lambda f: int(f.split('-')[1].split('.')[0]))
    return os.path.join(checkpoint_dir, latest)


latest = load_latest_checkpoint(checkpoint_dir)
print(latest)
model = create_model()
model.load_weights(latest)
loss, acc = model.evaluate(test_images, test_labels, verbose=2)
print("Restored model, accuracy: {:5.2f}%".format(100 * acc))

os.mkdir('./checkpoints')
model.save_weights('./checkpoints/my_checkpoint.weights.h5')
model = create_model()
model.load_weights('./checkpoints/my_checkpoint.weights.h5')
loss, acc = model.evaluate(test_images, test_labels, verbose=2)
print("Restored model, accuracy: {:5.2f}%".format(100 * acc))

model = create_model()
model.fit(train_images, train_labels, epochs=1)
model.save('my_model.keras')
new_model = keras.models.load_model('my_model.keras')
new_model.summary()
loss, acc = new_model.evaluate(test_images, test_labels, verbose=2)
print('Restored model, accuracy: {:5.2f}%'.format(100 * acc))
print(new_model.predict(test_images).shape)

model = create_model()
model.fit(train_images, train_labels, epochs=1)
model.save('my_model.h5')
new_model = keras.models.load_model('my_model.h5')
new_model.summary()
loss, acc = new_model.evaluate(test_images, test_labels, verbose=2)
print('Restored model, accuracy: {:5.2f}%'.format(100 * acc))

record = {"history_keys": list(history.history), "params": history.params, "listed": listed,
          "restored_better_than_chance": bool(restored_accuracy > 0.3)}
